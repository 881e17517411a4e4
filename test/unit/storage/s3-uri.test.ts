import { describe, expect, it } from 'vitest';
import { isValidBucketName, parseS3Uri, S3UriError } from '../../../src/storage/s3-uri.ts';

describe('parseS3Uri', () => {
  it.each([
    ['s3://flink-state/checkpoints/ns/c', 's3', 'flink-state', 'checkpoints/ns/c/'],
    ['s3a://flink-state/checkpoints/', 's3a', 'flink-state', 'checkpoints/'],
    ['s3p://flink-state//a//b', 's3p', 'flink-state', 'a/b/'],
    ['S3://flink-state', 's3', 'flink-state', ''],
    ['s3://flink-state/', 's3', 'flink-state', ''],
  ])('%s', (uri, scheme, bucket, prefix) => {
    expect(parseS3Uri(uri)).toEqual({ scheme, bucket, prefix });
  });

  it('gives a directory prefix, so a sibling with a longer name is not inside it', () => {
    const { prefix } = parseS3Uri('s3://b-1/ckpt/a');
    expect('ckpt/ab/x'.startsWith(prefix)).toBe(false);
    expect('ckpt/a/x'.startsWith(prefix)).toBe(true);
  });

  it.each([
    ['file:///flink-data', /scheme must be s3, s3a or s3p, not file/],
    ['gs://bucket/x', /not gs/],
    ['flink-state/x', /not an S3 URI/],
    ['s3:///x', /names no bucket/],
    ['s3://Flink_State/x', /not a valid S3 bucket name/],
    ['s3://b-1/x?versionId=1', /query or fragment/],
    ['s3://b-1/a/../b', /'\.' and '\.\.' segments/],
  ])('refuses %s', (uri, message) => {
    expect(() => parseS3Uri(uri)).toThrow(S3UriError);
    expect(() => parseS3Uri(uri)).toThrow(message);
  });

  it('refuses credentials in the URI without repeating them', () => {
    let error: unknown;
    try {
      parseS3Uri('s3a://AKIAEXAMPLE:topsecret@flink-state/x');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(S3UriError);
    expect(String(error)).toMatch(/credentials in the URI are not supported/);
    expect(String(error)).not.toContain('topsecret');
    expect(String(error)).not.toContain('AKIAEXAMPLE');
  });
});

describe('isValidBucketName', () => {
  it('follows S3 naming', () => {
    expect(['abc', 'flink-state', 'a.b-c1', 'x'.repeat(63)].map(isValidBucketName)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['ab', 'x'.repeat(64), 'Abc', 'a_b', '-ab', 'ab-', 'a..b'].map(isValidBucketName)).toEqual(
      Array(7).fill(false),
    );
  });
});
