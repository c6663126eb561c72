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
  /* A disabled radio keeps showing which choice the run uses. */
  input[type='radio'] { accent-color: #4fa3ff; }
  input[type='radio']:disabled:checked + span { color: #fff; font-weight: bold; }
  button { margin: 3px 4px 3px 0; background: #333; color: #eee; border: 1px solid #666; padding: 3px 8px; cursor: pointer; }
  button:disabled { opacity: 0.4; cursor: default; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid #4fa3ff; }
  .ngi-primary { background: #1d4f80; }
  .ngi-error { color: #ff8a80; margin: 2px 0 4px; }
  .ngi-note { color: #9fd49f; margin: 2px 0 4px; }
  .ngi-notice { color: #ffd27f; }
  p { margin: 4px 0; }
`;
