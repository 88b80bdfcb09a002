import { describe, expect, it } from 'vitest';
import { parseUpstreamError } from '../../src/engine/error-body.js';

const none = new Headers();

describe('upstream error bodies, in every host shape', () => {
  it('reads the Messages API shape', () => {
    expect(
      parseUpstreamError(
        '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
        none,
      ),
    ).toEqual({ errorType: 'overloaded_error', message: 'Overloaded' });
  });

  it("reads Google's shape from Vertex AI, bare or in an array", () => {
    const body = '{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}';
    const want = { errorType: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' };
    expect(parseUpstreamError(body, none)).toEqual(want);
    expect(parseUpstreamError(`[${body}]`, none)).toEqual(want);
  });

  it("reads Bedrock's message with the exception name from x-amzn-ErrorType", () => {
    const headers = new Headers({
      'x-amzn-errortype':
        'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
    });
    expect(parseUpstreamError('{"message":"Too many requests"}', headers)).toEqual({
      errorType: 'ThrottlingException',
      message: 'Too many requests',
    });
    expect(parseUpstreamError('{"Message":"x"}', none)).toEqual({ message: 'x' });
  });

  it('keeps what it can from a body that is not JSON', () => {
    expect(parseUpstreamError('<html>502</html>', none)).toEqual({});
    expect(
      parseUpstreamError('', new Headers({ 'x-amzn-errortype': 'ServiceUnavailableException' })),
    ).toEqual({ errorType: 'ServiceUnavailableException' });
  });
});
