// Heap settings for large pipelines: a 100,000-job run touches a few hundred MB of heap, and
// on virtual machines each 4 KiB page fault costs microseconds.
#pragma once

namespace jobhost {

// Keeps freed memory instead of returning it to the kernel, and backs the heap with
// transparent huge pages (512x fewer page faults) where the kernel offers them on request.
// glibc reads that setting only at start-up, so this re-executes the program once with it;
// call it first thing in main(). JOBHOST_HUGE_PAGES=0 turns the re-execution off, and a
// GLIBC_TUNABLES set by the user is left alone.
void tune_heap_for_large_runs(char** argv);

}  // namespace jobhost
