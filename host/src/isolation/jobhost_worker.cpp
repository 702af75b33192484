// jobhost-worker: the process a job with isolation = "process" runs in (isolation/worker_main).
#include "isolation/worker_main.hpp"

int main(int argc, char** argv) { return jobhost::isolation::worker_main(argc, argv); }
