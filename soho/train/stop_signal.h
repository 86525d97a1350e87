#pragma once
// SIGINT / SIGTERM as a request to stop training at the next safe point (what a cluster
// scheduler sends before pre-emption): the trainer writes a checkpoint and exits cleanly.
// A second signal of the same kind while stopping falls back to the default (immediate exit).
namespace soho::train {

void InstallStopSignalHandlers();
// The signal number that asked to stop, or 0.
int StopSignal();

}  // namespace soho::train
