#include "tests/support/tls_listener.h"

#include <Poco/Net/Context.h>

#include "connectors/common/https_client.h"
#include "tests/support/test_support.h"

namespace markbridge::test {

std::unique_ptr<Poco::Net::SecureServerSocket> tlsListener() {
  initialiseTls();
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, certsDir() + "/server.key",
                             certsDir() + "/server.pem", "", Poco::Net::Context::VERIFY_NONE);
  return std::make_unique<Poco::Net::SecureServerSocket>(Poco::Net::SocketAddress("127.0.0.1", 0),
                                                         16, context);
}

}  // namespace markbridge::test
