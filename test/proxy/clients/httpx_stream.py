"""Streams one Messages request with httpx (the client of the reported RemoteProtocolError)
and prints the message reassembled from the SSE events as JSON on stdout.

usage: httpx_stream.py BASE_URL HEADERS_JSON BODY_JSON

Exit status 0: the stream reached message_stop. 1: an SSE `error` event arrived (printed as
{"error": ...}). 2: the transport failed (httpx exception printed as {"exception": ...}).
Reassembly follows the Anthropic SDKs: deltas appended per block, tool input JSON parsed at
content_block_stop, message_delta fields merged into the message.
"""

import json
import sys

import httpx


def lines_of(chunks):
    """Lines without their ends (LF or CRLF), from text chunks split anywhere."""
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        *complete, buffer = buffer.split("\n")
        for line in complete:
            yield line[:-1] if line.endswith("\r") else line
    if buffer:
        yield buffer


def events(lines):
    """Yields (event, data) pairs from SSE lines (WHATWG rules, enough for the API's streams)."""
    event, data = None, []
    for line in lines:
        if line == "":
            if data:
                yield event or "message", "\n".join(data)
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)


def main():
    base_url, headers, body = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    message, json_bufs = None, {}
    try:
        with httpx.Client(timeout=httpx.Timeout(30.0)) as client:
            with client.stream(
                "POST", base_url + "/v1/messages", headers=headers, content=body
            ) as response:
                if response.status_code != 200:
                    response.read()
                    print(json.dumps({"status": response.status_code, "body": response.text}))
                    return 1
                for name, data in events(lines_of(response.iter_text())):
                    payload = json.loads(data)
                    kind = payload.get("type", name)
                    if kind == "message_start":
                        message = payload["message"]
                    elif kind == "content_block_start":
                        message["content"].append(payload["content_block"])
                    elif kind == "content_block_delta":
                        block, delta = message["content"][payload["index"]], payload["delta"]
                        dtype = delta["type"]
                        if dtype == "text_delta":
                            block["text"] = block.get("text", "") + delta["text"]
                        elif dtype == "input_json_delta":
                            key = payload["index"]
                            json_bufs[key] = json_bufs.get(key, "") + delta["partial_json"]
                        elif dtype == "thinking_delta":
                            block["thinking"] = block.get("thinking", "") + delta["thinking"]
                        elif dtype == "signature_delta":
                            block["signature"] = delta["signature"]
                        elif dtype == "citations_delta":
                            block.setdefault("citations", []).append(delta["citation"])
                    elif kind == "content_block_stop":
                        key = payload["index"]
                        if key in json_bufs:
                            text = json_bufs.pop(key)
                            message["content"][key]["input"] = json.loads(text) if text else {}
                    elif kind == "message_delta":
                        for field, value in payload["delta"].items():
                            message[field] = value
                        message.setdefault("usage", {}).update(payload.get("usage") or {})
                    elif kind == "message_stop":
                        print(json.dumps(message))
                        return 0
                    elif kind == "error":
                        print(json.dumps({"error": payload["error"]}))
                        return 1
        print(json.dumps({"exception": "the stream ended without message_stop"}))
        return 2
    except httpx.HTTPError as err:
        print(json.dumps({"exception": f"{type(err).__name__}: {err}"}))
        return 2


if __name__ == "__main__":
    sys.exit(main())
