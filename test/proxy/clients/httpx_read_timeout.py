"""Streams one Messages request with httpx and a read timeout, as a client with an idle timer
would, and reports what arrived: the text of the text blocks, the SSE comment lines, and the
longest wait between two lines.

usage: httpx_read_timeout.py BASE_URL HEADERS_JSON BODY_JSON READ_TIMEOUT_SECONDS

httpx's read timeout bounds each read from the socket, so any bytes (an SSE comment too) start
it over. Prints one JSON object. Exit status 0: message_stop arrived. 3: httpx.ReadTimeout.
2: another transport error or no message_stop.
"""

import json
import sys
import time

import httpx


def main():
    base_url, headers, body = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    read_timeout = float(sys.argv[4])
    timeout = httpx.Timeout(connect=5.0, read=read_timeout, write=5.0, pool=5.0)
    text, comments, longest, last = [], [], 0.0, time.monotonic()
    result = {"text": "", "comments": comments, "longest_wait_ms": 0}
    try:
        with httpx.Client(timeout=timeout) as client:
            with client.stream(
                "POST", base_url + "/v1/messages", headers=headers, content=body
            ) as response:
                for line in response.iter_lines():
                    line = line.rstrip("\r\n")  # httpx < 0.24 keeps the line end
                    now = time.monotonic()
                    longest = max(longest, now - last)
                    last = now
                    if line.startswith(":"):
                        comments.append(line)
                    elif line.startswith("data: "):
                        payload = json.loads(line[6:])
                        delta = payload.get("delta", {})
                        if delta.get("type") == "text_delta":
                            text.append(delta["text"])
                        if payload.get("type") == "message_stop":
                            result.update(text="".join(text), longest_wait_ms=round(longest * 1000))
                            print(json.dumps(result))
                            return 0
        result.update(text="".join(text), exception="the stream ended without message_stop")
        print(json.dumps(result))
        return 2
    except httpx.ReadTimeout as err:
        result.update(text="".join(text), exception=f"ReadTimeout: {err}")
        print(json.dumps(result))
        return 3
    except httpx.HTTPError as err:
        result.update(text="".join(text), exception=f"{type(err).__name__}: {err}")
        print(json.dumps(result))
        return 2


if __name__ == "__main__":
    sys.exit(main())
