#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: health_probe
short_description: Probe a service's HTTP health endpoint from the target host
version_added: 1.0.0
author:
  - twzrd.ops contributors (@twzrd)
description:
  - The runbook's C(curl -s http://localhost:8080/health | jq .), run on the target, so
    C(localhost) is the target itself.
  - Sends one request (more with O(retries)) through Ansible's URL helpers and judges the answer. The
    status code must be one of O(status_code), the body must be JSON when O(expect_json)
    is set, and every key of O(expect_keys) must hold the expected value.
  - Returns whether the service is healthy, the status code, the latency, the parsed JSON
    body (when at most 16 KiB) and, when unhealthy, a reason and a sentence.
  - Fails the task when the service is unhealthy unless O(fail_on_unhealthy=false).
options:
  url:
    description:
      - The health endpoint, C(http://) or C(https://).
      - A password in the URL is masked in the result; prefer O(headers) for credentials.
      - C(user:password@) in the URL is sent as Basic authentication, as by the on-host command.
      - Redirects are followed only to the same scheme, host and port; a redirect elsewhere
        is not followed (headers and credentials never leave for another server) and makes
        the reason C(redirect).
    type: str
    default: http://localhost:8080/health
  method:
    description:
      - HTTP method of the request.
    type: str
    default: GET
  headers:
    description:
      - Request headers, for example an C(Authorization) token. They are never returned
        and their values are hidden from the task output.
    type: dict
    default: {}
  body:
    description:
      - Request body, for methods that take one.
    type: str
  timeout:
    description:
      - Seconds the whole request may take, per attempt, connection, headers and body included
        (a server sending one byte a second cannot stretch it). Redirects within the same
        scheme, host and port count against the same limit.
    type: float
    default: 5
  status_code:
    description:
      - Status codes that count as healthy.
    type: list
    elements: int
    default: [200]
  expect_json:
    description:
      - Whether the body must parse as JSON.
    type: bool
    default: true
  expect_keys:
    description:
      - Keys the JSON body must hold, with their expected values, for example key C(status) with value V(ok).
      - A key with dots names a nested value (C(checks.db)) unless the body has that key literally.
      - A scalar matches an expected string when its JSON text is that string, so
        an expected V("true") matches a JSON C(true). Setting this implies a JSON body.
    type: dict
    default: {}
  retries:
    description:
      - How many more times to try after an unhealthy answer (a service needs time after a restart).
    type: int
    default: 0
  delay:
    description:
      - Seconds to wait between attempts.
    type: float
    default: 2
  validate_certs:
    description:
      - Whether to verify the TLS certificate of an C(https://) URL.
    type: bool
    default: true
  fail_on_unhealthy:
    description:
      - Fail the task when the service is unhealthy after the last attempt.
      - With V(false) the task succeeds and RV(healthy) tells the outcome.
    type: bool
    default: true
attributes:
  check_mode:
    description: The request is sent in check mode too; probe only endpoints that change nothing.
    support: full
  diff_mode:
    description: Nothing is changed, so there is no diff.
    support: none
extends_documentation_fragment:
  - twzrd.ops.attributes.platform_posix
notes:
  - Proxy environment variables (C(http_proxy), C(no_proxy)) apply as for any Ansible URL request.
seealso:
  - module: ansible.builtin.uri
  - module: twzrd.ops.swap_usage
"""

EXAMPLES = r"""
- name: Verify the service answers like the runbook's curl check
  twzrd.ops.health_probe:
    url: http://localhost:8080/health
    expect_keys:
      status: ok

- name: Give a restarted service 30 seconds to come back
  twzrd.ops.health_probe:
    retries: 10
    delay: 3

- name: Record the health of a token-protected endpoint without failing
  twzrd.ops.health_probe:
    url: https://localhost:8443/health
    headers:
      Authorization: "Bearer {{ health_token }}"
    validate_certs: false
    fail_on_unhealthy: false
  register: health
"""

RETURN = r"""
healthy:
  description: Whether the last attempt met every expectation.
  returned: always
  type: bool
  sample: true
url:
  description: The URL probed, with any password masked.
  returned: always
  type: str
  sample: http://localhost:8080/health
status:
  description: HTTP status code of the last answer, null when there was none.
  returned: always
  type: int
  sample: 200
latency_ms:
  description: Milliseconds the last attempt took, answer body included.
  returned: always
  type: int
  sample: 12
attempts:
  description: Number of requests sent.
  returned: always
  type: int
  sample: 1
json:
  description: The parsed JSON body of the last answer; null when it is not JSON or larger than 16 KiB.
  returned: always
  type: raw
  sample: {"status": "ok", "uptime": 3600}
body_excerpt:
  description: The first 512 characters of the last answer's body (bodies are read up to 64 KiB).
  returned: always
  type: str
  sample: '{"status": "ok", "uptime": 3600}'
reason:
  description:
    - Why the service is unhealthy, null when healthy.
    - One of C(refused), C(timeout), C(unexpected status), C(body not JSON), C(key mismatch), C(unreachable), C(redirect), C(incomplete body).
  returned: always
  type: str
  sample: unexpected status
message:
  description: One sentence describing the outcome.
  returned: always
  type: str
  sample: http://localhost:8080/health answered HTTP 500, expected 200.
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError
from ansible_collections.twzrd.ops.plugins.module_utils.probe import probe, url_secrets


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", default="http://localhost:8080/health"),
            method=dict(type="str", default="GET"),
            headers=dict(type="dict", default={}, no_log=True),
            body=dict(type="str"),
            timeout=dict(type="float", default=5),
            status_code=dict(type="list", elements="int", default=[200]),
            expect_json=dict(type="bool", default=True),
            expect_keys=dict(type="dict", default={}, no_log=False),
            retries=dict(type="int", default=0),
            delay=dict(type="float", default=2),
            validate_certs=dict(type="bool", default=True),
            fail_on_unhealthy=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    # A password inside a URL is masked wherever Ansible shows it (the invocation at -vvv too).
    module.no_log_values.update(url_secrets(module.params["url"]))
    params = module.params
    headers = {str(name): str(value) for name, value in params["headers"].items()}
    try:
        result = probe(
            params["url"],
            method=params["method"],
            headers=headers,
            body=params["body"],
            timeout=params["timeout"],
            expected_status=params["status_code"],
            expect_json=params["expect_json"],
            expect_keys=params["expect_keys"],
            retries=params["retries"],
            delay=params["delay"],
            validate_certs=params["validate_certs"],
        )
    except OpsError as error:
        module.fail_json(msg=str(error))
    if not result["healthy"] and params["fail_on_unhealthy"]:
        module.fail_json(msg=result["message"], changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
