import { isModelId } from '@helix/contracts';
import { ApiError } from '../http/errors';

const PREFIX = '/api/v1/models/';

/** The longest model id (256 characters) with every character percent-encoded as one path segment would be ("%2F"). */
export const MAX_ENCODED_MODEL_ID = 3 * 256;

/**
 * The model id from the request path: `/api/v1/models/Qwen/Qwen2.5-VL-7B-Instruct` and
 * `/api/v1/models/Qwen%2FQwen2.5-VL-7B-Instruct` both name `Qwen/Qwen2.5-VL-7B-Instruct`. Read from
 * the raw URL so the result does not depend on how the router decodes wildcard parameters.
 */
export function modelIdFromUrl(url: string, subResource?: 'settings' | 'token' | 'access'): string {
  const path = url.split('?')[0];
  let raw = path.startsWith(PREFIX) ? path.slice(PREFIX.length) : '';
  // `/api/v1/models/<id>/settings`: the last raw segment names the sub-resource, not part of the id.
  if (subResource) raw = raw.endsWith(`/${subResource}`) ? raw.slice(0, -subResource.length - 1) : '';
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    id = '';
  }
  if (!isModelId(id)) {
    throw new ApiError({
      error: 'bad_request',
      message: 'Invalid request: the model id in the path must be 1 to 256 letters, digits or . _ - : @ + in "/"-separated parts.',
      details: [{ field: 'id', message: 'id must be a model id such as Qwen/Qwen2.5-VL-7B-Instruct' }],
    });
  }
  return id;
}
