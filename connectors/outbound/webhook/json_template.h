#pragma once
// A JSON template over an event: every string may hold {{path}} placeholders (a dotted path into
// the context: event.pupil.upn, event.summary, kind, key, reference, school.urn...). A string
// that is exactly one placeholder becomes that value as it is (a number, a list, an object);
// otherwise each placeholder is replaced by the value as text. A path that names nothing
// becomes null (or empty text).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace markbridge {

nlohmann::json renderTemplate(const nlohmann::json& tmpl, const nlohmann::json& context);
std::string renderText(const std::string& text, const nlohmann::json& context);
// Every placeholder's path in `tmpl`, for checking them against the context's roots.
std::vector<std::string> templatePaths(const nlohmann::json& tmpl);

}  // namespace markbridge
