/**
 * S3 credentials the way etcdbrctl reads them (pkg/snapstore/s3_snapstore.go `getConfigOpts`),
 * never from flags: `<P>AWS_APPLICATION_CREDENTIALS_JSON` (a JSON file), else
 * `<P>AWS_APPLICATION_CREDENTIALS` (a directory holding a `*.json` file, or one file per field:
 * `accessKeyID`, `secretAccessKey`, `region`, optional `endpoint`, `s3ForcePathStyle`,
 * `bucketName`), where `<P>` is `""` for the target store and `SOURCE_` for a copy's source store.
 * Beyond etcdbrctl, the standard `<P>AWS_ACCESS_KEY_ID`/`<P>AWS_SECRET_ACCESS_KEY`/`<P>AWS_REGION`/
 * `<P>AWS_ENDPOINT_URL` (and `<P>AWS_SESSION_TOKEN`) are a last resort — prefixed too, so a source
 * store never silently borrows the target's credentials.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SnapstoreError } from './errors.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  /** An S3-compatible endpoint (etcdbrctl's deprecated `endpoint` field; `--store-endpoint-override` wins). */
  endpoint?: string;
  /** Path-style addressing; default true when an endpoint is set, else false. */
  forcePathStyle?: boolean;
  bucketName?: string;
  /** etcdbrctl's `requestChecksumCalculation`; default `when_required` with a custom endpoint (S3-compatible stores often reject the SDK's default checksums). */
  requestChecksumCalculation?: 'when_supported' | 'when_required';
  /** etcdbrctl's `responseChecksumValidation`; default as above. */
  responseChecksumValidation?: 'when_supported' | 'when_required';
}

function parseChecksumMode(
  source: string,
  field: string,
  value: string | undefined,
): 'when_supported' | 'when_required' | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'when_supported' || v === 'when_required') return v;
  throw configError(
    source,
    `invalid value ${JSON.stringify(value)} for ${field}, must be when_supported/when_required`,
  );
}

export type CredentialsEnvPrefix = '' | 'SOURCE_';

const JSON_ENV = 'AWS_APPLICATION_CREDENTIALS_JSON';
const DIR_ENV = 'AWS_APPLICATION_CREDENTIALS';

/** Where credentials came from, for messages (a path or env var names, never values). */
function configError(source: string, message: string): SnapstoreError {
  return new SnapstoreError('Config', source, message);
}

function parseBool(source: string, field: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  // Go's strconv.ParseBool
  const text = String(value).trim();
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw configError(source, `${field} is not a boolean: ${JSON.stringify(text)}`);
}

/**
 * S3 credentials from etcdbrctl's field names (`accessKeyID`, `secretAccessKey`, `region`,
 * `endpoint`, `s3ForcePathStyle`, `bucketName`, …), e.g. a Secret's decoded data; `source` names
 * where they came from in messages (never the values).
 */
export function s3CredentialsFromFields(source: string, fields: Record<string, unknown>): S3Credentials {
  return complete(source, fields);
}

function complete(source: string, fields: Record<string, unknown>): S3Credentials {
  const text = (key: string): string | undefined => {
    const v = fields[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw configError(source, `${key} must be a string`);
    const trimmed = v.trim();
    return trimmed === '' ? undefined : trimmed;
  };
  const accessKeyId = text('accessKeyID');
  const secretAccessKey = text('secretAccessKey');
  const region = text('region');
  const missing = [
    ['accessKeyID', accessKeyId],
    ['secretAccessKey', secretAccessKey],
    ['region', region],
  ]
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length > 0 || !accessKeyId || !secretAccessKey || !region) {
    throw configError(source, `S3 credentials lack ${missing.join(', ')}`);
  }
  const credentials: S3Credentials = { accessKeyId, secretAccessKey, region };
  const sessionToken = text('sessionToken');
  if (sessionToken) credentials.sessionToken = sessionToken;
  const endpoint = text('endpoint');
  if (endpoint) credentials.endpoint = endpoint;
  const forcePathStyle = parseBool(source, 's3ForcePathStyle', fields.s3ForcePathStyle);
  if (forcePathStyle !== undefined) credentials.forcePathStyle = forcePathStyle;
  const bucketName = text('bucketName');
  if (bucketName) credentials.bucketName = bucketName;
  const request = parseChecksumMode(source, 'requestChecksumCalculation', text('requestChecksumCalculation'));
  if (request) credentials.requestChecksumCalculation = request;
  const response = parseChecksumMode(source, 'responseChecksumValidation', text('responseChecksumValidation'));
  if (response) credentials.responseChecksumValidation = response;
  return credentials;
}

/** Reads an etcdbrctl S3 credentials JSON file (`accessKeyID`, `secretAccessKey`, `region`, …). */
export async function readS3CredentialsJson(file: string): Promise<S3Credentials> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    // The parse error could quote the file's content: report only its kind.
    const why = err instanceof SyntaxError ? 'not valid JSON' : ((err as NodeJS.ErrnoException).code ?? 'unreadable');
    throw configError(file, `cannot read S3 credentials: ${why}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw configError(file, 'S3 credentials must be a JSON object');
  }
  return complete(file, parsed as Record<string, unknown>);
}

const DIR_FIELDS = [
  'accessKeyID',
  'secretAccessKey',
  'region',
  'endpoint',
  's3ForcePathStyle',
  'bucketName',
  'sessionToken',
  'requestChecksumCalculation',
  'responseChecksumValidation',
];

/** Reads an etcdbrctl S3 credentials directory: a `*.json` file in it wins, else one file per field. */
export async function readS3CredentialsDir(dir: string): Promise<S3Credentials> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw configError(
      dir,
      `cannot read S3 credentials directory: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
  const json = entries.filter((e) => e.endsWith('.json') && !e.startsWith('.')).sort()[0];
  if (json) return readS3CredentialsJson(path.join(dir, json));
  const fields: Record<string, unknown> = {};
  for (const field of DIR_FIELDS) {
    if (entries.includes(field)) fields[field] = await readFile(path.join(dir, field), 'utf8');
  }
  return complete(dir, fields);
}

/**
 * S3 credentials from the environment: `<prefix>AWS_APPLICATION_CREDENTIALS_JSON`, then
 * `<prefix>AWS_APPLICATION_CREDENTIALS`, then `<prefix>AWS_ACCESS_KEY_ID` & co.
 * Pass `'SOURCE_'` for the source store of a copy.
 */
export async function s3CredentialsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  sourcePrefix: CredentialsEnvPrefix = '',
): Promise<S3Credentials> {
  const p = sourcePrefix;
  const jsonFile = env[`${p}${JSON_ENV}`];
  if (jsonFile) return readS3CredentialsJson(jsonFile);
  const dir = env[`${p}${DIR_ENV}`];
  if (dir) return readS3CredentialsDir(dir);
  const accessKeyID = env[`${p}AWS_ACCESS_KEY_ID`];
  if (accessKeyID) {
    return complete(`${p}AWS_* environment variables`, {
      accessKeyID,
      secretAccessKey: env[`${p}AWS_SECRET_ACCESS_KEY`],
      sessionToken: env[`${p}AWS_SESSION_TOKEN`],
      region: env[`${p}AWS_REGION`] ?? env[`${p}AWS_DEFAULT_REGION`],
      endpoint: env[`${p}AWS_ENDPOINT_URL_S3`] ?? env[`${p}AWS_ENDPOINT_URL`],
    });
  }
  throw configError(
    'environment',
    `no S3 credentials: set ${p}${JSON_ENV}, ${p}${DIR_ENV} or ${p}AWS_ACCESS_KEY_ID/${p}AWS_SECRET_ACCESS_KEY/${p}AWS_REGION`,
  );
}

/** The container from the environment when no flag gave one: `STORAGE_CONTAINER` / `SOURCE_STORAGE_CONTAINER`. */
export function storageContainerFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  sourcePrefix: CredentialsEnvPrefix = '',
): string | undefined {
  return env[`${sourcePrefix}STORAGE_CONTAINER`] || undefined;
}
