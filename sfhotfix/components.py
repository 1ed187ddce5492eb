"""The component model: a metadata component is (type, fullName) plus the files that hold it.

Child components (a CustomField of a CustomObject, one CustomLabel, a WorkflowAlert) are components
too: in source format a decomposed child has its own file; otherwise it lives inside its parent's file
and is found there by its XML element and key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .registry import MetadataType


@dataclass(eq=False)
class Component:
    """One component of a tree, with paths relative to that tree's root."""

    type: MetadataType
    full_name: str
    xml: str | None = None
    content: list[str] = field(default_factory=list)
    parent: "Component | None" = None
    children: list["Component"] = field(default_factory=list)
    # the directory the component was found under, e.g. "force-app/main/default" (source format), "src" (the
    # Ant layout of metadata-API format)
    package_root: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.type.name, self.full_name)

    @property
    def files(self) -> list[str]:
        """Its own files: metadata XML first, then content files."""
        return ([self.xml] if self.xml else []) + self.content

    @property
    def files_with_children(self) -> list[str]:
        """Its files and its children's (a decomposed object's fields, a site's content)."""
        return [*self.files, *(path for child in self.children for path in child.files)]

    @property
    def selector(self) -> str:
        return f"{self.type.name}:{self.full_name}"

    def in_package(self, path: str) -> str:
        """One of its paths below its package root: ``src/classes/A.cls`` → ``classes/A.cls``."""
        root = self.package_root
        return path[len(root) + 1:] if root and path.startswith(root + "/") else path

    def __repr__(self) -> str:
        return f"<Component {self.selector}>"


@dataclass
class ResolvedTree:
    """All components of a tree, the files no type claims, and the format the tree is in."""

    format: str  # "source" or "mdapi"
    components: list[Component]
    unknown: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    root: str = ""  # a metadata-API tree's package folder ("src"), "" for the top

    def all_components(self) -> list[Component]:
        """Components and their children, parents first."""
        out: list[Component] = []
        for component in self.components:
            out.append(component)
            out.extend(component.children)
        return out
