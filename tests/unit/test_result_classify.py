"""One reading of a registered task result (module_utils/hostcheck.classify): the fleet
report's host_result and the audit report's audit_results tell skipped / unreachable /
failed / checked by the same rule, for any registered result."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.filter import audit as audit_filter
from ansible_collections.twzrd.ops.plugins.module_utils import hostcheck

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FLAGS = st.none() | st.booleans() | st.sampled_from([0, 1, "", "yes"])
TEXTS = st.none() | st.sampled_from(["", "MODULE FAILURE", "Task failed: x\ny", "Missing sudo password",
                                     "ssh: no route to host", "op is not in the sudoers file."]) | st.text(max_size=30)
# Registered results shaped like Ansible's: the flags and messages in any combination, with
# or without the key a completed check returns (snapshot for host_check, checks for host_audit).
REGISTERED = st.none() | st.sampled_from(["", 3, [], "skipped"]) | st.fixed_dictionaries(
    {},
    optional={"skipped": FLAGS, "unreachable": FLAGS, "failed": FLAGS, "msg": TEXTS, "module_stderr": TEXTS,
              "module_stdout": TEXTS, "snapshot": st.just({"host": "h"}), "checks": st.just([]),
              "level": st.just("ok"), "verdict": st.just("ok")},
)


@SETTINGS
@given(REGISTERED)
def test_host_result_and_audit_results_classify_alike(registered):
    fleet_state, fleet_error = hostcheck.classify(registered, "snapshot")
    got = hostcheck.host_result(registered)
    assert got["state"] == fleet_state
    if fleet_state != "checked":
        assert got == {"state": fleet_state, "error": fleet_error}

    audit_state, audit_error = hostcheck.classify(registered, "checks", not_run="the host was not audited")
    (row,) = audit_filter.audit_results({"h": {"a": registered}}, ["h"], "a")
    assert row["result"]["state"] == audit_state
    if audit_state != "checked":
        assert row["result"] == {"state": audit_state, "error": audit_error}

    # The two differ only by the key a completed check returns and the not-run sentence.
    if isinstance(registered, dict) and ("snapshot" in registered) == ("checks" in registered):
        assert fleet_state == audit_state
        if fleet_state != "checked" and not (registered.get("skipped") is True):
            assert fleet_error == audit_error


def test_classify_tells_each_state():
    assert hostcheck.classify(None, "snapshot") == ("unreachable", "the host was not checked")
    assert hostcheck.classify({"skipped": True}, "checks", not_run="the host was not audited") == \
        ("unreachable", "the host was not audited")
    assert hostcheck.classify({"unreachable": True, "msg": "ssh: timed out"}, "snapshot") == ("unreachable", "ssh: timed out")
    assert hostcheck.classify({"failed": True, "msg": "boom", "snapshot": {}}, "snapshot") == ("failed", "boom")
    assert hostcheck.classify({"changed": False}, "snapshot") == ("failed", "the check failed without a message")
    assert hostcheck.classify({"snapshot": {}}, "snapshot") == ("checked", None)
