/**
 * What an upstream error body says, in each host's shape: only the fields it found (a field it
 * did not find is absent, not present as undefined).
 */
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
    ).toStrictEqual({ errorType: 'overloaded_error', message: 'Overloaded' });
  });

  it("reads Google's shape from Vertex AI, bare or in an array", () => {
    const body = '{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}';
    const want = { errorType: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' };
    expect(parseUpstreamError(body, none)).toStrictEqual(want);
    expect(parseUpstreamError(`[${body}]`, none)).toStrictEqual(want);
  });

  it("reads Bedrock's message with the exception name from x-amzn-ErrorType", () => {
    const headers = new Headers({
      'x-amzn-errortype':
        'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
    });
    expect(parseUpstreamError('{"message":"Too many requests"}', headers)).toStrictEqual({
      errorType: 'ThrottlingException',
      message: 'Too many requests',
    });
    expect(parseUpstreamError('{"Message":"x"}', none)).toStrictEqual({ message: 'x' });
  });

  it('keeps what it can from a body that is not JSON', () => {
    expect(parseUpstreamError('<html>502</html>', none)).toStrictEqual({});
    expect(
      parseUpstreamError('', new Headers({ 'x-amzn-errortype': 'ServiceUnavailableException' })),
    ).toStrictEqual({ errorType: 'ServiceUnavailableException' });
  });

  it('reads the exception name from a Bedrock body’s __type when no header names it', () => {
    expect(
      parseUpstreamError(
        '{"__type":"com.amazon.coral.service#ValidationException","message":"bad input"}',
        none,
      ),
    ).toStrictEqual({ errorType: 'ValidationException', message: 'bad input' });
    expect(parseUpstreamError('{"__type":"ThrottlingException"}', none)).toStrictEqual({
      errorType: 'ThrottlingException',
    });
  });

  it('prefers the x-amzn-ErrorType header to the body’s __type', () => {
    const headers = new Headers({ 'x-amzn-errortype': 'ThrottlingException:http://x/' });
    expect(parseUpstreamError('{"__type":"a#Other","message":"m"}', headers)).toStrictEqual({
      errorType: 'ThrottlingException',
      message: 'm',
    });
  });

  it('takes the Messages API error type over a Google status, and the status when there is no type', () => {
    expect(
      parseUpstreamError('{"error":{"type":"api_error","status":"INTERNAL","message":"m"}}', none),
    ).toStrictEqual({ errorType: 'api_error', message: 'm' });
    expect(parseUpstreamError('{"error":{"type":"","status":"INTERNAL"}}', none)).toStrictEqual({
      errorType: 'INTERNAL',
    });
  });

  it('leaves out empty or non-string fields', () => {
    expect(
      parseUpstreamError('{"type":"error","error":{"type":"","message":""}}', none),
    ).toStrictEqual({});
    expect(parseUpstreamError('{"error":{"type":529,"message":["x"]}}', none)).toStrictEqual({});
    expect(parseUpstreamError('{"message":"","Message":"fallback"}', none)).toStrictEqual({
      message: 'fallback',
    });
    expect(parseUpstreamError('{"message":7}', none)).toStrictEqual({});
    expect(
      parseUpstreamError('{}', new Headers({ 'x-amzn-errortype': ':http://internal/' })),
    ).toStrictEqual({});
  });

  it('reads the first error of an array, and nothing from an empty one', () => {
    expect(
      parseUpstreamError('[{"error":{"status":"UNAVAILABLE"}},{"error":{"status":"X"}}]', none),
    ).toStrictEqual({
      errorType: 'UNAVAILABLE',
    });
    expect(parseUpstreamError('[]', none)).toStrictEqual({});
    expect(
      parseUpstreamError('[]', new Headers({ 'x-amzn-errortype': 'InternalServerException' })),
    ).toStrictEqual({ errorType: 'InternalServerException' });
  });

  it('does not read an error field that is an array, or a body that is a string or null', () => {
    expect(parseUpstreamError('{"error":["overloaded"],"message":"m"}', none)).toStrictEqual({
      message: 'm',
    });
    expect(parseUpstreamError('"overloaded"', none)).toStrictEqual({});
    expect(parseUpstreamError('null', none)).toStrictEqual({});
    expect(parseUpstreamError('[[{"message":"nested"}]]', none)).toStrictEqual({});
  });
});
