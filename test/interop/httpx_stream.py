"""Streams POST /v1/messages from the lifeline mock with httpx, the way the Anthropic Python SDK does.

Usage: httpx_stream.py URL SCENARIO [FAULTS_JSON]
Prints the number of body bytes received on stdout, then lets any exception escape, so its
traceback on stderr is exactly what a user of httpx sees when the stream dies.
"""
import json
import sys

import httpx

url, scenario = sys.argv[1], sys.argv[2]
headers = {
    "x-api-key": "test-key",
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "code-execution-2025-08-25,skills-2025-10-02",
    "x-mock-scenario": scenario,
}
if len(sys.argv) > 3:
    headers["x-mock-faults"] = sys.argv[3]
body = {
    "model": "claude-opus-4-6",
    "max_tokens": 32000,
    "stream": True,
    "messages": [{"role": "user", "content": "Build the quarterly sales report."}],
}

received = 0
try:
    with httpx.Client(timeout=30) as client:
        with client.stream("POST", url + "/v1/messages", headers=headers, json=body) as response:
            for chunk in response.iter_bytes():
                received += len(chunk)
finally:
    print(json.dumps({"received": received}), flush=True)
