// SPDX-License-Identifier: MIT
// Preloaded (`node --import`) into the child that bin/etude.mjs starts. The shim holds an IPC channel to the child;
// when the shim dies, even by SIGKILL (which it cannot forward), the operating system closes that channel and Node
// fires 'disconnect' here. The child then cancels like on Ctrl-C (SIGTERM to itself: a training stops within a step
// and keeps its last stored checkpoint) and, should that take longer than half a second, exits anyway (a checkpoint
// being written is one transaction: it is either whole or not there). Without this a `kill -9` of `etude train` left
// a headless trainer running on.
const GRACE_MS = 500;
if (process.channel) {
  // The channel must not keep the child alive once its work is done.
  process.channel.unref();
  process.once('disconnect', () => {
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(143), GRACE_MS).unref();
  });
}
