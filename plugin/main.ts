/**
 * The viewer app: neuroglancer's minimal viewer with our own chunk worker (so our
 * backend modules run there), the default key bindings, URL-hash state and a
 * status line for the WebGPU adapter, the isotropic training panel, and the
 * share action (the view's link, and what a colleague could not open).
 */
import 'neuroglancer/unstable/util/polyfills.js';
import 'neuroglancer/unstable/layer/enabled_frontend_modules.js';
import 'neuroglancer/unstable/datasource/enabled_frontend_modules.js';
import 'neuroglancer/unstable/kvstore/enabled_frontend_modules.js';
import 'neuroglancer/unstable/sliceview/chunk_format_handlers.js';
import 'neuroglancer/unstable/ui/default_viewer.css';
import {disableContextMenu, disableWheel} from 'neuroglancer/unstable/ui/disable_default_actions.js';
import {Viewer} from 'neuroglancer/unstable/viewer.js';
import {setDefaultInputEventBindings} from 'neuroglancer/unstable/ui/default_input_event_bindings.js';
import {bindDefaultCopyHandler, bindDefaultPasteHandler} from 'neuroglancer/unstable/ui/default_clipboard_handling.js';
import {UrlHashBinding} from 'neuroglancer/unstable/ui/url_hash_binding.js';
import {bindTitle} from 'neuroglancer/unstable/ui/title.js';
import {StatusMessage} from 'neuroglancer/unstable/status.js';
import {DisplayContext} from 'neuroglancer/unstable/display_context.js';
import {registerProvider} from 'neuroglancer/unstable/datasource/default_provider.js';
import {PluginDataContext} from './data_context.ts';
import {IsotropicDataSourceProvider} from '../layers/isotropic/frontend.ts';
import {FORMAT_NAMES} from '../src/input/types.ts';
import {WorkerProbe} from '../layers/worker_probe/frontend.ts';
import {showWorkerStatus} from './status_line.ts';
import {addTrainingPanelState, installTrainingPanel} from './training/side-panel.ts';
import {installShareAction} from './share/share-view.ts';
import {installConfidenceView} from './confidence-view.ts';
import type {TrackableSidePanelLocation} from 'neuroglancer/unstable/ui/side_panel_location.js';

declare global {
  interface Window {
    viewer: Viewer;
  }
}

/** What neuroglancer's `setupDefaultViewer` does, but with our data context (hence our chunk worker). */
function setupViewer(beforeUrlState: (viewer: Viewer) => void): Viewer {
  disableContextMenu();
  disableWheel();
  const target = document.getElementById('neuroglancer-container')!;
  const display = new DisplayContext(target);
  const dataContext = new PluginDataContext(display.gl, display);
  const viewer = new Viewer(display, {dataContext: dataContext.asDataManagementContext()});
  window.viewer = viewer;
  setDefaultInputEventBindings(viewer.inputEventBindings);
  const hashBinding = viewer.registerDisposer(
    new UrlHashBinding(viewer.state, viewer.dataSourceProvider.sharedKvStoreContext),
  );
  viewer.registerDisposer(
    hashBinding.parseError.changed.add(() => {
      const error = hashBinding.parseError.value;
      if (error !== undefined) new StatusMessage().setErrorMessage(`Error parsing state: ${error.message}`);
    }),
  );
  beforeUrlState(viewer);
  hashBinding.updateFromUrlHash();
  viewer.registerDisposer(bindTitle(viewer.title));
  bindDefaultCopyHandler(viewer);
  bindDefaultPasteHandler(viewer);
  return viewer;
}

// Data sources must be registered before the viewer is built.
for (const format of FORMAT_NAMES) registerProvider(new IsotropicDataSourceProvider(format));
let trainingPanel: TrackableSidePanelLocation | undefined;
const viewer = setupViewer((v) => (trainingPanel = addTrainingPanelState(v)));
installTrainingPanel(viewer, trainingPanel!);
installShareAction(viewer);
installConfidenceView(viewer);
const probe = viewer.registerDisposer(new WorkerProbe(viewer.dataContext.rpc!));
showWorkerStatus(probe);
