/** The API and package version reported by /v2 and the OpenAPI document. */
export const API_VERSION_TEXT = '0.2.0';
