/**
 * `meta.k8s.io/v1` PartialObjectMetadata: an object reduced to its metadata, what Kubernetes'
 * metadata client asks for (`Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1`)
 * and what its garbage collector lists and watches. A list of ConfigMaps that holds 500 MB holds a
 * few megabytes of their metadata.
 */
import type { KubeList, KubeObject } from './meta.js';

export const PARTIAL_OBJECT_METADATA_API_VERSION = 'meta.k8s.io/v1';

export function partialObjectMetadata(obj: KubeObject): KubeObject {
  return { apiVersion: PARTIAL_OBJECT_METADATA_API_VERSION, kind: 'PartialObjectMetadata', metadata: obj.metadata };
}

/** The list's own metadata (resourceVersion, continue, remainingItemCount) and its items' metadata. */
export function partialObjectMetadataList(list: KubeList): KubeList {
  return {
    apiVersion: PARTIAL_OBJECT_METADATA_API_VERSION,
    kind: 'PartialObjectMetadataList',
    metadata: list.metadata,
    items: list.items.map(partialObjectMetadata),
  };
}
