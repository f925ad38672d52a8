#pragma once
// The `markbridge` command line: each command is a function of its arguments and streams, so
// the black-box tests and the binary run the same code.

#include <iosfwd>
#include <string>
#include <vector>

namespace markbridge {

// Exit codes.
constexpr int kExitOk = 0;
constexpr int kExitInputRejected = 1;     // a file was refused whole (nothing from it stored)
constexpr int kExitConfig = 2;            // usage or configuration problem
constexpr int kExitBusy = 4;              // another sync holds the store's lock
constexpr int kExitDeliveryRejected = 3;  // a destination refused an event (dead-lettered)
// A destination refused our credentials (token, key, client certificate): the sink is paused,
// its items kept, and nothing reaches it until someone fixes them.
constexpr int kExitCredentialsRefused = 5;
// The store could not be opened, read or written (disk full, read-only, damaged, missing
// folder): nothing half-done was kept; fix the storage (or restore the backup) and run again.
constexpr int kExitStorage = 6;
// A destination is down: its sink is paused (its breaker opened), its items kept and tried
// again when the pause ends. Nothing to fix unless it lasts.
constexpr int kExitSinkPaused = 7;

int runCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace markbridge
