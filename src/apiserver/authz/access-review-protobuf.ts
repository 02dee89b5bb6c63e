/**
 * kubectl sends SelfSubjectAccessReviews (`kubectl auth can-i`) as Kubernetes protobuf
 * (`Content-Type: application/vnd.kubernetes.protobuf`) and does not retry with JSON on a 415; it
 * accepts a JSON answer. This decodes just that request into the JSON shape
 * `evaluateSelfSubjectAccessReview` takes. Envelope: the magic `k8s\0`, then a runtime.Unknown
 * {typeMeta, raw}; `raw` is the SelfSubjectAccessReview message (k8s.io/api/authorization/v1
 * generated.proto). Metadata, status and selector fields are skipped.
 */
import { badRequest } from '../../api/errors.js';

export const kubernetesProtobufContentType = 'application/vnd.kubernetes.protobuf';

const magic = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

const resourceAttributeFields: Record<number, string> = {
  1: 'namespace',
  2: 'verb',
  3: 'group',
  4: 'version',
  5: 'resource',
  6: 'subresource',
  7: 'name',
};
const nonResourceAttributeFields: Record<number, string> = { 1: 'path', 2: 'verb' };

/** The SelfSubjectAccessReview in a protobuf request body, as JSON. Throws 400 when malformed. */
export function decodeSelfSubjectAccessReview(body: Uint8Array): Record<string, unknown> {
  if (body.length < magic.length || magic.some((b, i) => body[i] !== b)) {
    throw badRequest('protobuf body does not start with the Kubernetes magic number');
  }
  try {
    let typeMeta: Record<string, string> = {};
    let raw: Uint8Array | undefined;
    for (const field of fields(body.subarray(magic.length))) {
      if (field.number === 1 && field.bytes) typeMeta = strings(field.bytes, { 1: 'apiVersion', 2: 'kind' });
      if (field.number === 2 && field.bytes) raw = field.bytes;
    }
    if (typeMeta.kind !== 'SelfSubjectAccessReview') {
      throw badRequest(`expected a SelfSubjectAccessReview, got ${JSON.stringify(typeMeta.kind ?? '')}`);
    }
    const review: Record<string, unknown> = { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, metadata: {} };
    for (const field of fields(raw ?? new Uint8Array())) {
      if (field.number === 2 && field.bytes) review.spec = decodeSpec(field.bytes);
    }
    return review;
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) {
      throw badRequest(`malformed protobuf body: ${err.message}`);
    }
    throw err;
  }
}

function decodeSpec(bytes: Uint8Array): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  for (const field of fields(bytes)) {
    if (field.number === 1 && field.bytes) spec.resourceAttributes = strings(field.bytes, resourceAttributeFields);
    if (field.number === 2 && field.bytes)
      spec.nonResourceAttributes = strings(field.bytes, nonResourceAttributeFields);
  }
  return spec;
}

/** The string fields of a message, by field number → JSON name; other fields are skipped. */
function strings(bytes: Uint8Array, names: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const field of fields(bytes)) {
    const name = names[field.number];
    if (name && field.bytes) out[name] = decoder.decode(field.bytes);
  }
  return out;
}

interface Field {
  number: number;
  /** Set for length-delimited fields (strings, bytes, messages). */
  bytes?: Uint8Array;
}

/** The top-level fields of a protobuf message. Throws RangeError on truncated input. */
function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new RangeError('truncated varint');
      const byte = buf[pos++]!;
      if (shift < 49) result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new RangeError('varint too long');
    }
  };
  const skip = (n: number): void => {
    if (pos + n > buf.length) throw new RangeError('truncated field');
    pos += n;
  };
  while (pos < buf.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        varint();
        yield { number };
        break;
      case 1:
        skip(8);
        yield { number };
        break;
      case 2: {
        const length = varint();
        const start = pos;
        skip(length);
        yield { number, bytes: buf.subarray(start, start + length) };
        break;
      }
      case 5:
        skip(4);
        yield { number };
        break;
      default:
        throw new RangeError(`unsupported wire type ${key & 7}`);
    }
  }
}
