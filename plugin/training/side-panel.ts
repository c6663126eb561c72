/**
 * The training panel as a neuroglancer side panel: a toolbar button and the
 * key T open and close it, and whether it is open (with its place and size)
 * is part of the view state in the URL, like neuroglancer's own panels.
 */
import {SidePanel, type SidePanelManager} from 'neuroglancer/unstable/ui/side_panel.js';
import {DEFAULT_SIDE_PANEL_LOCATION, TrackableSidePanelLocation} from 'neuroglancer/unstable/ui/side_panel_location.js';
import {CheckboxIcon} from 'neuroglancer/unstable/widget/checkbox_icon.js';
import type {Viewer} from 'neuroglancer/unstable/viewer.js';
import type {TrainingPanel} from './training-panel.ts';
import './training-panel.ts'; // defines <ngi-training-panel>
import {keepKeysInTextFields} from '../text-field-keys.ts';

/** Key of the panel's state in the view state (the URL). */
export const STATE_KEY = 'isotropicTraining';
const ACTION = 'toggle-isotropic-training';

// A small line chart: the icon of a panel that draws a loss curve.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"><path d="M3 3v18h18"/><path d="M6 8c3 0 4 7 7 7s4-4 7-4"/></svg>`;

class TrainingSidePanel extends SidePanel {
  constructor(manager: SidePanelManager, location: TrackableSidePanelLocation, body: TrainingPanel) {
    super(manager, location);
    this.addTitleBar({title: 'Isotropic model training'});
    this.addBody(body);
    // The body is draggable as a panel; its form fields must stay selectable and editable.
    body.draggable = false;
    body.refreshChoices();
  }
}

/** Call before the URL state is read, so an open panel in a shared URL opens. */
export function addTrainingPanelState(viewer: Viewer): TrackableSidePanelLocation {
  const location = new TrackableSidePanelLocation({...DEFAULT_SIDE_PANEL_LOCATION, size: 400});
  viewer.state.add(STATE_KEY, location);
  return location;
}

export function installTrainingPanel(viewer: Viewer, location: TrackableSidePanelLocation): void {
  // One panel body for the page: closing the panel keeps the run (and its worker) going.
  const body = document.createElement('ngi-training-panel') as TrainingPanel;
  body.viewer = viewer;
  keepKeysInTextFields(body);
  viewer.registerDisposer(viewer.sidePanelManager.registerPanel({location, makePanel: () => new TrainingSidePanel(viewer.sidePanelManager, location, body)}));
  const button = viewer.registerDisposer(
    new CheckboxIcon(location.watchableVisible, {svg: ICON, backgroundScheme: 'dark', enableTitle: 'Show the isotropic training panel (T)', disableTitle: 'Hide the isotropic training panel (T)'}),
  );
  button.element.classList.add('ngi-training-button');
  viewer.element.querySelector('.neuroglancer-viewer-top-row')?.appendChild(button.element);
  viewer.inputEventBindings.global.set('keyt', ACTION);
  viewer.bindAction(ACTION, () => (location.visible = !location.visible));
}
