#pragma once
// Servers nobody on this project wrote (nginx, an npm OAuth2 server), run by a test as child
// processes on 127.0.0.1 and stopped when the test ends.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace markbridge::test {

class PeerProcess {
 public:
  // Starts `argv[0]` (a path, or a name looked up in PATH) with `argv`, its stdout and stderr
  // appended to `log`. started() is false (and why() says so) when it could not be started.
  PeerProcess(std::vector<std::string> argv, const std::filesystem::path& log);
  ~PeerProcess();  // SIGTERM, then SIGKILL if it has not gone within 5 s
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  bool started() const { return pid_ > 0; }
  bool running();  // false once it has exited
  const std::string& why() const { return why_; }
  void stop();

 private:
  pid_t pid_ = -1;
  std::string why_;
};

// Polls `ready` every 20 ms until it is true or `timeout` passed; whether it became true.
bool waitFor(const std::function<bool()>& ready,
             std::chrono::milliseconds timeout = std::chrono::seconds(20));
// A TCP port on 127.0.0.1 that nothing listened on a moment ago (for servers that cannot be
// given port 0 and asked which port they got, such as nginx).
uint16_t freePort();
// Whether something accepts TCP connections on 127.0.0.1:port.
bool accepting(uint16_t port);
// The program's full path if it is in PATH or a usual system folder; empty otherwise.
std::string findProgram(const std::string& name);
std::string readFile(const std::filesystem::path& file);
// A valid UPN for pupil number `n` (0-999), its check letter computed.
std::string numberedUpn(int n);

}  // namespace markbridge::test
