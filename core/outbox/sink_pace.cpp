#include "core/outbox/sink_pace.h"

#include <algorithm>
#include <cmath>

namespace markbridge {

int64_t SinkPace::nextStart(int64_t now) const {
  int64_t at = std::max(now, heldUntil_);
  if (limit_ > 0) at = std::max(at, static_cast<int64_t>(std::ceil(nextAllowed_)));
  return at;
}

int SinkPace::recentStarts(int64_t now) const {
  return static_cast<int>(
      std::count_if(starts_.begin(), starts_.end(), [&](int64_t t) { return t > now - 1000; }));
}

void SinkPace::started(int64_t now) {
  if (limit_ > 0) nextAllowed_ = std::max(static_cast<double>(now), nextAllowed_) + 1000 / limit_;
  starts_.push_back(now);
  while (!starts_.empty() && starts_.front() <= now - 1000) starts_.pop_front();
}

void SinkPace::throttled(int64_t now, std::optional<int64_t> retryAfterMs) {
  if (retryAfterMs) heldUntil_ = std::max(heldUntil_, now + *retryAfterMs);
  if (now - lastDecrease_ < 1000) return;  // the same burst
  lastDecrease_ = now;
  double current = std::max<double>(recentStarts(now), 1);
  if (limit_ > 0) current = std::min(current, limit_);
  slowedFrom_ = current;
  limit_ = std::max(kMinPerSecond, current / 2);
  // The halved rate starts after the hold.
  nextAllowed_ = std::max(nextAllowed_, static_cast<double>(heldUntil_));
}

void SinkPace::succeeded(int64_t) {
  if (limit_ <= 0) return;
  limit_ += 1 / limit_;  // about one more a second, each second
  if (max_ > 0) {
    limit_ = std::min(limit_, max_);
  } else if (limit_ >= 2 * slowedFrom_ + 10) {
    limit_ = 0;  // well past the rate that was refused: no limit, as configured
  }
}

}  // namespace markbridge
