/**
 * Ctrl-C handling for long commands: the first signal asks the work to stop
 * cleanly (and says what that means), a second Ctrl-C quits at once.
 */
export function onInterrupt(stop: () => void, message: string, signals: NodeJS.Signals[] = ['SIGINT']): () => void {
  const handler = () => {
    console.error(`\nstopping: ${message}`);
    stop();
    process.once('SIGINT', () => process.exit(130));
  };
  for (const s of signals) process.once(s, handler);
  /** Un-registers the handler. */
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
