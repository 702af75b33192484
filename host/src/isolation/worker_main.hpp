// The worker process (`jobhost-worker`): loads one plugin and runs its entries for the host,
// one attempt at a time, over the socket the host passed as a file descriptor.
//
//   jobhost-worker --fd N --plugin FILE
#pragma once

namespace jobhost::isolation {

int worker_main(int argc, char** argv);

}  // namespace jobhost::isolation
