"""A local HTTPS emulator of a Salesforce org, for recording the client's vcrpy cassettes.

Why: no Salesforce org is reachable from the test machines, yet sfhotfix's org access has to be tested
against Salesforce's real wire formats. This package plays the org: SOAP login and OAuth token, the
Metadata API (describe, list, retrieve, deploy, quick deploy, cancel) and the REST/Tooling API (SourceMember
queries), over a metadata-API folder taken as the org's content, with fault injection and latency knobs.

    from tests.emulator import start_emulator      # or: from emulator import start_emulator
    with start_emulator(Path("examples/hotfix-sandbox")) as org:
        requests.get(org.url + "/services/data/", verify=org.ca_file)

Run standalone (for recording cassettes by hand): ``python -m tests.emulator examples/hotfix-sandbox``.
"""

from .server import DEFAULT_USERS, FAULT_KINDS, Emulator, start_emulator

__all__ = ["DEFAULT_USERS", "FAULT_KINDS", "Emulator", "start_emulator"]
