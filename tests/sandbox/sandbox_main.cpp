// markbridge-sandbox: runs the local CPOMS-style / LA portal stand-in until SIGINT or SIGTERM.
// usage: markbridge-sandbox --cert server.pem --key server.key [--port N] [--port-file F]
//                           [--la-token T] [--cpoms-key K] [--quiet]

#include <csignal>
#include <fstream>
#include <iostream>
#include <string>

#include "tests/sandbox/sandbox_server.h"

int main(int argc, char** argv) {
  markbridge::sandbox::SandboxOptions options;
  options.log_requests = true;
  std::string portFile;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--cert")
      options.cert_file = value();
    else if (a == "--key")
      options.key_file = value();
    else if (a == "--port")
      options.port = static_cast<uint16_t>(std::stoi(value()));
    else if (a == "--port-file")
      portFile = value();
    else if (a == "--la-token")
      options.la_token = value();
    else if (a == "--cpoms-key")
      options.cpoms_key = value();
    else if (a == "--quiet")
      options.log_requests = false;
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (options.cert_file.empty() || options.key_file.empty()) {
    std::cerr << "usage: markbridge-sandbox --cert server.pem --key server.key [--port N] "
                 "[--port-file F] [--la-token T] [--cpoms-key K] [--quiet]\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // server threads inherit the mask

  markbridge::sandbox::SandboxServer server(options);
  server.start();
  std::cout << "sandbox listening on " << server.baseUrl() << std::endl;
  if (!portFile.empty()) {
    std::ofstream(portFile + ".tmp") << server.port() << "\n";
    std::rename((portFile + ".tmp").c_str(), portFile.c_str());
  }
  int signal = 0;
  sigwait(&signals, &signal);
  std::cout << "sandbox stopping: " << server.received().size() << " records received" << std::endl;
  server.stop();
  return 0;
}
