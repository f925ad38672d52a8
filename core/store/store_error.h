#pragma once
// What every store backend throws when it cannot do what was asked: the message names the store
// (a file, or a PostgreSQL host and database) and what was being done, never a password.

#include <stdexcept>

namespace markbridge {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace markbridge
