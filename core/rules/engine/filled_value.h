#pragma once
// A policy part's setting as applySchema (core/domain/config_schema.h) filled it in. A policy's
// defaults are written once, in its Field rows: code reads the filled object, never a default
// of its own. Missing or of the wrong type (applySchema has reported either): T{}.

#include <nlohmann/json.hpp>

namespace markbridge {

template <class T>
T filledValue(const nlohmann::json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end()) return T{};
  try {
    return found->template get<T>();
  } catch (const nlohmann::json::exception&) {
    return T{};
  }
}

}  // namespace markbridge
