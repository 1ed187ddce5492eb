"""The Metadata API operations (``/services/Soap/m/{version}``).

Why: describeMetadata, listMetadata, retrieve/checkRetrieveStatus, deploy/checkDeployStatus,
cancelDeploy, deployRecentValidation (and the pre-31.0 checkStatus) are answered with the elements, field
order and state sequences of the v63 WSDL and of recorded real responses: AsyncResult ``Queued`` first,
then ``Pending``/``InProgress`` for the configured number of polls, then the final result. A retrieve's zip
is deleted once handed out (a further checkRetrieveStatus faults "Retrieve result has been deleted.", as a
real org does); a deploy's change reaches the org only on the poll that reports it done.
"""

from __future__ import annotations

import base64
from datetime import timedelta

from . import deploy as deploy_mod
from . import retrieve as retrieve_mod
from . import sfxml
from .apex import METHOD_TIME_MS
from .ids import ORG_ID, iso
from .org import User
from .soap import MD_NS, SoapFault, SoapRequest, boolean, el, nil, response
from .state import DeployJob, RetrieveJob, State

LIST_QUERY_LIMIT = 3


class MetadataApi:
    def __init__(self, state: State):
        self.state = state

    def handle(self, request: SoapRequest, user: User) -> bytes:
        handler = getattr(self, "op_" + request.operation, None)
        if handler is None:
            raise SoapFault(
                "INVALID_OPERATION",
                f"No operation available for request {{{MD_NS}}}{request.operation}",
                faultcode="soapenv:Client",
            )
        return handler(request.body, user)

    # ---- describe and list ---------------------------------------------------------------------------
    def op_describeMetadata(self, body, user: User) -> bytes:
        rows = []
        for row in self.state.org.types.describe_rows():
            rows.append(
                "<metadataObjects>"
                + "".join(el("childXmlNames", c) for c in row["childXmlNames"])
                + el("directoryName", row["directoryName"])
                + el("inFolder", row["inFolder"])
                + el("metaFile", row["metaFile"])
                + el("suffix", row["suffix"])
                + el("xmlName", row["xmlName"])
                + "</metadataObjects>"
            )
        rows.append("<organizationNamespace></organizationNamespace>")
        rows.append(el("partialSaveAllowed", True) + el("testRequired", False))
        return response("describeMetadata", "".join(rows))

    def op_listMetadata(self, body, user: User) -> bytes:
        queries = sfxml.find_all(body, "queries")
        if len(queries) > LIST_QUERY_LIMIT:
            raise SoapFault(
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {LIST_QUERY_LIMIT} records in this operation",
            )
        org = self.state.org
        results = []
        seen = set()
        with org.lock:
            for query in queries:
                type_name = sfxml.text_of(query, "type") or ""
                folder = sfxml.text_of(query, "folder")
                info = org.types.top(type_name)
                if info is None and type_name not in org.types.children:
                    raise SoapFault("INVALID_TYPE", f"Cannot use: {type_name} in this version")
                if info is not None and info.in_folder:
                    if not folder:
                        continue  # folder types list nothing without a folder
                    comps = [c for c in org.of_type(type_name) if c.full_name.rsplit("/", 1)[0] == folder]
                elif info is not None:
                    comps = org.of_type(type_name)
                else:
                    comps = org.children_of_type(type_name)
                for comp in comps:
                    if comp.key in seen:
                        continue
                    seen.add(comp.key)
                    props = org.file_properties(comp, comp.main_file)
                    results.append("".join(el(k, v) for k, v in props.items()))
        return response("listMetadata", results)

    # ---- retrieve ------------------------------------------------------------------------------------
    def op_retrieve(self, body, user: User) -> bytes:
        request = sfxml.find(body, "retrieveRequest")
        if request is None:
            raise SoapFault("INVALID_XML", "retrieveRequest is required", faultcode="soapenv:Client")
        state = self.state
        now = state.clock.now()
        with state.lock:
            outcome = state.retrieve_outcomes.popleft() if state.retrieve_outcomes else {}
        polls = int(outcome.get("polls", state.retrieve_polls))
        failure = None
        plan = None
        if outcome.get("status", "Succeeded") == "Failed":
            failure = {
                "errorMessage": outcome.get("error_message", "An unexpected error occurred. Please include this ErrorId if you contact support"),
                "errorStatusCode": outcome.get("error_status_code", "UNKNOWN_EXCEPTION"),
            }
        else:
            plan = retrieve_mod.plan(state.org, request, user, iso(now), now.timetuple()[:6])
        job = RetrieveJob(state.ids.next_id("09S"), user, plan, polls, polls, failure)
        with state.lock:
            state.jobs[job.id] = job
        return response("retrieve", el("done", False) + el("id", job.id) + el("state", "Queued"))

    def _retrieve_job(self, job_id: str) -> RetrieveJob:
        job = self.state.jobs.get(job_id)
        if not isinstance(job, RetrieveJob):
            raise SoapFault("INVALID_ID_FIELD", f"Invalid id: {job_id}")
        return job

    def op_checkRetrieveStatus(self, body, user: User) -> bytes:
        job_id = sfxml.text_of(body, "asyncProcessId") or ""
        include_zip = boolean(sfxml.text_of(body, "includeZip"), default=True)
        with self.state.lock:
            job = self._retrieve_job(job_id)
            if job.zip_deleted:
                raise SoapFault("INVALID_ID_FIELD", "Retrieve result has been deleted.")
            if job.polls_left > 0:
                status = "Pending" if job.polls_left == job.polls_total and job.polls_total > 1 else "InProgress"
                job.polls_left -= 1
                return response(
                    "checkRetrieveStatus",
                    el("done", False) + el("id", job.id) + el("status", status) + el("success", False),
                )
            if job.failure is not None:
                return response(
                    "checkRetrieveStatus",
                    el("done", True)
                    + el("errorMessage", job.failure["errorMessage"])
                    + el("errorStatusCode", job.failure["errorStatusCode"])
                    + el("id", job.id)
                    + el("status", "Failed")
                    + el("success", False),
                )
            plan = job.plan
            if include_zip:
                job.zip_deleted = True
        parts = [el("done", True)]
        for props in plan.file_properties:
            parts.append("<fileProperties>" + "".join(el(k, v) for k, v in props.items()) + "</fileProperties>")
        parts.append(el("id", job.id))
        for msg in plan.messages:
            parts.append("<messages>" + el("fileName", msg["fileName"]) + el("problem", msg["problem"]) + "</messages>")
        parts.append(el("status", "Succeeded") + el("success", True))
        if include_zip:
            parts.append(el("zipFile", base64.b64encode(plan.zip_file).decode("ascii")))
        return response("checkRetrieveStatus", "".join(parts))

    def op_checkStatus(self, body, user: User) -> bytes:
        """The pre-31.0 AsyncResult poll (CumulusCI's cassette uses it); it counts as a poll."""
        results = []
        with self.state.lock:
            for id_el in sfxml.find_all(body, "asyncProcessId"):
                job = self.state.jobs.get((id_el.text or "").strip())
                if job is None:
                    raise SoapFault("INVALID_ID_FIELD", f"Invalid id: {(id_el.text or '').strip()}")
                if isinstance(job, RetrieveJob) and job.polls_left > 0:
                    job.polls_left -= 1
                    results.append(el("done", False) + el("id", job.id) + el("state", "InProgress"))
                elif isinstance(job, DeployJob) and not job.done:
                    self._advance(job)
                    done = job.done
                    results.append(el("done", done) + el("id", job.id) + el("state", "Completed" if done else "InProgress"))
                else:
                    results.append(el("done", True) + el("id", job.id) + el("state", "Completed"))
        return response("checkStatus", results)

    # ---- deploy --------------------------------------------------------------------------------------
    @staticmethod
    def _options(body) -> deploy_mod.DeployOptions:
        opts = sfxml.find(body, "DeployOptions")
        get = lambda name: sfxml.text_of(opts, name)  # noqa: E731
        return deploy_mod.DeployOptions(
            check_only=boolean(get("checkOnly")),
            test_level=get("testLevel") or None,
            run_tests=[(e.text or "").strip() for e in sfxml.find_all(opts, "runTests")] if opts is not None else [],
            rollback_on_error=boolean(get("rollbackOnError"), default=True),
            single_package=boolean(get("singlePackage")),
            allow_missing_files=boolean(get("allowMissingFiles")),
            ignore_warnings=boolean(get("ignoreWarnings")),
            purge_on_delete=boolean(get("purgeOnDelete")),
            auto_update_package=boolean(get("autoUpdatePackage")),
            perform_retrieve=boolean(get("performRetrieve")),
        )

    def op_deploy(self, body, user: User) -> bytes:
        zip_el = sfxml.find(body, "ZipFile")
        try:
            data = base64.b64decode("".join((zip_el.text or "").split()), validate=True) if zip_el is not None else b""
        except ValueError:
            raise SoapFault("INVALID_XML", "ZipFile is not valid base64", faultcode="soapenv:Client") from None
        options = self._options(body)
        if options.test_level == "RunSpecifiedTests" and not options.run_tests:
            raise SoapFault("INVALID_OPERATION", "runTests must be specified when the test level is RunSpecifiedTests")
        return self._start_deploy(user, options, data, quick=False)

    def _start_deploy(self, user: User, options: deploy_mod.DeployOptions, data: bytes, *, quick: bool) -> bytes:
        state = self.state
        now = state.clock.now()
        plan = deploy_mod.plan(state.org, data, options, user, iso(now), run_tests=not quick)
        job = DeployJob(
            state.ids.next_id("0Af"), user, options, plan, data, now, state.deploy_polls, state.deploy_polls, quick=quick
        )
        with state.lock:
            state.jobs[job.id] = job
        if quick:
            return response("deployRecentValidation", sfxml.escape(job.id))
        return response("deploy", el("done", False) + el("id", job.id) + el("state", "Queued"))

    def _deploy_job(self, job_id: str) -> DeployJob:
        job = self.state.jobs.get(job_id)
        if not isinstance(job, DeployJob):
            raise SoapFault("INVALID_ID_FIELD", f"Invalid id: {job_id}")
        return job

    def _advance(self, job: DeployJob) -> str:
        """One poll's worth of progress; returns the status to report. Caller holds the state lock."""
        now = self.state.clock.now()
        if job.done:
            return job.cancel or job.plan.status
        if job.cancel == "Canceling":
            job.cancel = "Canceled"
            job.completed = now
            return "Canceled"
        if job.polls_left > 0:
            status = "Pending" if job.polls_left == job.polls_total and job.polls_total > 1 else "InProgress"
            if status == "InProgress" and job.started is None:
                job.started = now
            job.polls_left -= 1
            return status
        job.started = job.started or now
        job.completed = now
        if job.plan.apply is not None:
            job.plan.apply()
        return job.plan.status

    def op_checkDeployStatus(self, body, user: User) -> bytes:
        job_id = sfxml.text_of(body, "asyncProcessId") or ""
        include_details = boolean(sfxml.text_of(body, "includeDetails"))
        with self.state.lock:
            job = self._deploy_job(job_id)
            status = self._advance(job)
            return response("checkDeployStatus", self._deploy_result(job, status, include_details))

    def _deploy_result(self, job: DeployJob, status: str, include_details: bool) -> str:
        plan, opts = job.plan, job.options
        done = job.done
        final = done and status not in ("Canceling", "Canceled")
        tests = plan.tests if final else None
        n_tests = len(tests.methods) if tests else 0
        n_fail = len(tests.failures) if tests else 0
        errors = plan.component_errors
        parts = []
        if job.cancel and job.canceled_by is not None:
            parts += [el("canceledBy", job.canceled_by.id[:15]), el("canceledByName", job.canceled_by.name)]
        parts.append(el("checkOnly", opts.check_only))
        if done:
            parts.append(el("completedDate", iso(job.completed)))
        parts += [el("createdBy", job.user.id[:15]), el("createdByName", job.user.name), el("createdDate", iso(job.created))]
        parts.append(self._details(job, include_details and final))
        parts.append(el("done", done))
        if final and plan.error_message:
            parts += [el("errorMessage", plan.error_message), el("errorStatusCode", plan.error_status_code)]
        parts += [el("id", job.id), el("ignoreWarnings", opts.ignore_warnings)]
        parts.append(el("lastModifiedDate", iso(job.completed or job.started or job.created)))
        deployed = sum(1 for s in plan.successes if s["fullName"] != "package.xml" or s["componentType"]) if final else 0
        started = job.started is not None
        parts += [
            el("numberComponentErrors", errors if final else 0),
            el("numberComponentsDeployed", deployed),
            el("numberComponentsTotal", plan.components_total if started or final else 0),
            el("numberTestErrors", n_fail),
            el("numberTestsCompleted", n_tests - n_fail),
            el("numberTestsTotal", n_tests),
            el("rollbackOnError", opts.rollback_on_error),
            el("runTestsEnabled", plan.tests_ran),
        ]
        if job.started is not None:
            parts.append(el("startDate", iso(job.started)))
        parts += [el("status", status), el("success", final and plan.success)]
        return "".join(parts)

    def _details(self, job: DeployJob, full: bool) -> str:
        plan = job.plan
        if not full:
            return "<details><runTestResult>" + el("numFailures", 0) + el("numTestsRun", 0) + el("totalTime", "0.0") + "</runTestResult></details>"
        out = ["<details>"]
        for failure in plan.failures:
            out.append("<componentFailures>" + "".join(el(k, v) for k, v in failure.items()) + "</componentFailures>")
        for success in plan.successes:
            out.append("<componentSuccesses>" + "".join(el(k, v) for k, v in success.items()) + "</componentSuccesses>")
        out.append(self._run_test_result(plan))
        out.append("</details>")
        return "".join(out)

    @staticmethod
    def _run_test_result(plan: deploy_mod.DeployPlan) -> str:
        tests = plan.tests
        if tests is None:
            return "<runTestResult>" + el("numFailures", 0) + el("numTestsRun", 0) + el("totalTime", "0.0") + "</runTestResult>"
        out = ["<runTestResult>"]
        for unit, locations, not_covered in tests.coverage:
            out.append(
                "<codeCoverage>" + el("id", unit.id) + el("name", unit.name) + nil("namespace")
                + el("numLocations", locations) + el("numLocationsNotCovered", not_covered)
                + el("type", unit.kind) + "</codeCoverage>"
            )
        for name, message in tests.warnings:
            unit_id = next((u.id for u, _, _ in tests.coverage if u.name == name), ORG_ID)
            out.append(
                "<codeCoverageWarnings>" + el("id", unit_id) + el("message", message)
                + (el("name", name) if name else nil("name")) + nil("namespace") + "</codeCoverageWarnings>"
            )
        for failure in tests.failures:
            out.append(
                "<failures>" + el("id", failure.cls.id) + el("message", failure.message)
                + (el("methodName", failure.method) if failure.method else nil("methodName"))
                + el("name", failure.cls.name) + nil("namespace") + el("packageName", failure.cls.name)
                + (el("stackTrace", failure.stack_trace) if failure.stack_trace else nil("stackTrace"))
                + el("time", METHOD_TIME_MS) + el("type", "Class") + "</failures>"
            )
        out.append(el("numFailures", len(tests.failures)) + el("numTestsRun", len(tests.methods)))
        for success in tests.successes:
            out.append(
                "<successes>" + el("id", success.cls.id) + el("methodName", success.method)
                + el("name", success.cls.name) + nil("namespace") + el("time", METHOD_TIME_MS) + "</successes>"
            )
        out.append(el("totalTime", METHOD_TIME_MS * len(tests.methods)) + "</runTestResult>")
        return "".join(out)

    def op_cancelDeploy(self, body, user: User) -> bytes:
        job_id = sfxml.text_of(body, "String") or sfxml.text_of(body, "asyncProcessId") or ""
        with self.state.lock:
            job = self._deploy_job(job_id)
            if job.done:
                raise SoapFault("INVALID_ID_FIELD", "The deployment has already completed and can't be canceled.")
            job.canceled_by = user
            if job.started is None:
                job.cancel = "Canceled"
                job.completed = self.state.clock.now()
                done = True
            else:
                job.cancel = "Canceling"
                done = False
        return response("cancelDeploy", el("done", done) + el("id", job.id))

    def op_deployRecentValidation(self, body, user: User) -> bytes:
        validation_id = sfxml.text_of(body, "validationId") or ""
        state = self.state
        with state.lock:
            job = state.jobs.get(validation_id)
            if not isinstance(job, DeployJob) or not job.options.check_only:
                raise SoapFault("INVALID_ID_FIELD", f"No validation found for the ID {validation_id}.")
            if not job.done or job.cancel or job.plan.status != "Succeeded" or not job.plan.tests_ran:
                raise SoapFault(
                    "INVALID_ID_FIELD",
                    "This validation can't be quick deployed: it must have succeeded with Apex tests run.",
                )
            if state.clock.now() - job.completed > timedelta(days=state.validation_days):
                raise SoapFault(
                    "INVALID_ID_FIELD",
                    f"The validation {validation_id} has expired: a validation can be quick deployed within {state.validation_days} days.",
                )
            if job.quick_deployed_as:
                raise SoapFault("INVALID_ID_FIELD", f"The validation {validation_id} has already been quick deployed.")
            options = deploy_mod.DeployOptions(**{**job.options.__dict__, "check_only": False})
            reply = self._start_deploy(user, options, job.zip_file, quick=True)
            job.quick_deployed_as = sfxml.parse(reply).findtext(f".//{{{MD_NS}}}result")
        return reply
