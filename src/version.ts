/** The package's name on the npm registry (the command it installs is `lifeline`). */
export const PACKAGE_NAME = 'anthropic-stream-resume';

/** The package version, kept in step with package.json by a test. */
export const VERSION = '0.2.0';

/** The user agent of the requests lifeline makes itself (doctor's probes). */
export const USER_AGENT = `${PACKAGE_NAME}/${VERSION}`;
