#pragma once
// A TLS listening socket on 127.0.0.1:0 with the development server certificate, for the tests
// whose destination must misbehave in ways the sandbox will not (answer a byte at a time, send
// more than it was asked for).

#include <Poco/Net/SecureServerSocket.h>

#include <memory>

namespace markbridge::test {

std::unique_ptr<Poco::Net::SecureServerSocket> tlsListener();

}  // namespace markbridge::test
