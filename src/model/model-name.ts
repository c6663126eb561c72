/** What a published or kept model may be called: the panel checks it, `serve` enforces it. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MODEL_NAME_RULE = 'a model name is 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit';
