"""sfhotfix: the hotfix path of a Salesforce Gitflow pipeline, from sandbox to production pull request."""

__version__ = "0.1.0"
