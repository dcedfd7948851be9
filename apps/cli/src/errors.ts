/** Exit codes of the `helix` command (see apps/cli/README.md). */
export const EXIT_OK = 0;
/** The API refused the request, the server could not be reached, or an input file/stdin was unusable. */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong: unknown command or option, missing or malformed argument. */
export const EXIT_USAGE = 2;

/** An error meant for the operator: printed as one line on stderr, then the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(message, EXIT_USAGE);

/** Collapses any text to a single line (messages from servers and libraries may contain newlines). */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
