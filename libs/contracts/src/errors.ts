/** The error codes of docs/reference/rest.md, shared by the gateway and the services' RPC errors. */
export type ErrorCode = 'unauthorized' | 'forbidden' | 'bad_request' | 'invalid_token' | 'not_found' | 'conflict' | 'unavailable';

export const ERROR_STATUS: Record<ErrorCode, number> = {
  unauthorized: 401,
  forbidden: 403,
  bad_request: 400,
  /** docs/reference/hub.md, strict mode: the Hub rejected the token. */
  invalid_token: 400,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

export interface FieldError {
  field: string;
  message: string;
}

/** The body of every error response, and the payload of every RpcException a service throws. */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
  details?: FieldError[];
}

export function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorBody).error === 'string' &&
    (value as ErrorBody).error in ERROR_STATUS &&
    typeof (value as ErrorBody).message === 'string'
  );
}
