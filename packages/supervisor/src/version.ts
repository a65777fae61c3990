/** tsgi's version, as the stats document's `version` and the banner show it. */
export const VERSION = '0.1.0';
/** The stats `version` string, in the manner of uWSGI's `2.0.21-debian`. */
export const STATS_VERSION = `${VERSION}-tsgi`;
