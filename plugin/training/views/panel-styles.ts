/** The look every view of the training panel shares: neuroglancer's dark side panel, readable controls. */
import {css} from 'lit';

export const panelStyles = css`
  :host { display: block; color: #ddd; font: 12px sans-serif; }
  fieldset { border: 1px solid #444; margin: 6px 0; padding: 4px 8px 8px; }
  fieldset:disabled { color: #bbb; }
  legend { color: #aaa; }
  label { display: block; margin: 3px 0; }
  input[type='number'] { width: 6em; }
  input, select { background: #222; color: #eee; border: 1px solid #555; }
  input:disabled, select:disabled { color: #bbb; border-color: #444; }
  /* Drawn here, not by the browser: a disabled radio must still show which choice the run uses. */
  input[type='radio'] { appearance: none; width: 12px; height: 12px; margin: 0 4px 0 0; vertical-align: -2px; border: 1px solid #888; border-radius: 50%; background: #222; }
  input[type='radio']:checked { border-color: #4fa3ff; background: radial-gradient(circle, #4fa3ff 0 40%, #222 45%); }
  input[type='radio']:checked + span { color: #fff; font-weight: bold; }
  button { margin: 3px 4px 3px 0; background: #333; color: #eee; border: 1px solid #666; padding: 3px 8px; cursor: pointer; }
  button:disabled { opacity: 0.4; cursor: default; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid #4fa3ff; }
  .ngi-primary { background: #1d4f80; }
  .ngi-error { color: #ff8a80; margin: 2px 0 4px; }
  .ngi-note { color: #9fd49f; margin: 2px 0 4px; }
  .ngi-notice { color: #ffd27f; }
  p { margin: 4px 0; }
`;
