#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace markbridge {
// Lower-case hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

// SHA-256 over data that arrives in pieces (a file read block by block).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  // Lower-case hex of everything updated so far; ends the digest.
  std::string hex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};
}  // namespace markbridge
