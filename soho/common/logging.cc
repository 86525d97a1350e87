#include "soho/common/logging.h"

#ifdef C10_USE_GLOG
#include <glog/logging.h>
#endif

namespace soho {

void InitLogging(const char* argv0) {
#ifdef C10_USE_GLOG
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv0);
  google::InstallFailureSignalHandler();
#else
  (void)argv0;
  c10::initLogging();
#endif
}

}  // namespace soho
