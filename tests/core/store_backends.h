#pragma once
// The store backends the contract tests run against. Each contract suite (register, events,
// outbox: tests/core/store_contract_*.cpp) is written against its interface and runs once per
// type in StoreBackends, so a new backend is one more struct here and one more entry there.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/store/store.h"
#include "tests/support/test_support.h"

namespace markbridge::test {

// Opens a fresh, empty store for a test in `dir`; open() again reopens the same store.
struct SqliteBackend {
  static constexpr const char* kName = "Sqlite";
  explicit SqliteBackend(const std::filesystem::path& dir) : path((dir / "register.db").string()) {}
  std::unique_ptr<Store> open() const { return openSqliteStore(path); }
  std::string path;
};

using StoreBackends = ::testing::Types<SqliteBackend>;

// Names each instantiation after its backend: Backends/RegisterStoreContract/Sqlite.
struct BackendName {
  template <typename Backend>
  static std::string GetName(int) {
    return Backend::kName;
  }
};

template <typename Backend>
class StoreContract : public ::testing::Test {
 protected:
  TempDir dir;
  Backend backend{dir.path()};
  std::unique_ptr<Store> store = backend.open();

  void reopen() {
    store.reset();
    store = backend.open();
  }
};

}  // namespace markbridge::test
