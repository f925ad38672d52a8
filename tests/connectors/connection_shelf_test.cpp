// What may share connections between schools' syncs: the transport's key is made from the
// certificates' contents, never their names, and anything that cannot be read whole shares
// with nobody (connectors/outbound/common/connection_shelf.h). The connections themselves are
// tested against the sandbox in tests/integration/delivery_tls_test.cpp.

#include "connectors/outbound/common/connection_shelf.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/test_support.h"

using namespace markbridge;
namespace fs = std::filesystem;

namespace {

struct ConnectionShelfKeys : ::testing::Test {
  test::TempDir dir;
  ConnectionShelf& shelf = ConnectionShelf::ofProcess();
  const std::string url = "https://la.example.org/api";

  std::string copyOf(const std::string& name, const std::string& as) {
    fs::copy_file(test::certsDir() + "/" + name, dir / as);
    return (dir / as).string();
  }
  ConnectionShelf::Transport transport(const TlsSettings& tls, const std::string& to = "",
                                       int timeoutMs = 10000) {
    return shelf.transportFor(tls, to.empty() ? url : to, timeoutMs);
  }
};

}  // namespace

TEST_F(ConnectionShelfKeys, TheSameCertificatesUnderOtherNamesShareOneTransport) {
  auto a = transport({copyOf("ca.pem", "a-ca.pem"), copyOf("client.pem", "a.pem"),
                      copyOf("client.key", "a.key"), ""});
  auto b = transport({copyOf("ca.pem", "b-ca.pem"), copyOf("client.pem", "b.pem"),
                      copyOf("client.key", "b.key"), ""});
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.tls, b.tls);  // one TLS setup, its sessions too
}

TEST_F(ConnectionShelfKeys, AnythingThatMakesTheTransportDifferentMakesAnotherKey) {
  TlsSettings base{copyOf("ca.pem", "ca.pem"), copyOf("client.pem", "client.pem"),
                   copyOf("client.key", "client.key"), ""};
  auto key = transport(base).key;
  EXPECT_NE(transport(base, "https://la.example.org/other").key, key);
  EXPECT_NE(transport(base, "", 5000).key, key);
  auto otherCert = base;
  otherCert.client_cert = copyOf("wrong-client.pem", "other.pem");
  otherCert.client_key = copyOf("wrong-client.key", "other.key");
  EXPECT_NE(transport(otherCert).key, key);
  auto otherCa = base;
  otherCa.ca_file = copyOf("other-ca.pem", "other-ca.pem");
  EXPECT_NE(transport(otherCa).key, key);
  // The same files renewed on disk: another transport from then on.
  std::ofstream(base.ca_file, std::ios::app) << "\n";
  EXPECT_NE(transport(base).key, key);
}

TEST_F(ConnectionShelfKeys, ACaFolderSharesWithNoOtherSink) {
  fs::create_directory(dir / "cas");
  copyOf("ca.pem", "cas/ca.pem");
  TlsSettings tls{(dir / "cas").string(), "", "", ""};
  auto a = transport(tls), b = transport(tls);
  EXPECT_NE(a.key, b.key);
  EXPECT_NE(a.tls, b.tls);
}
