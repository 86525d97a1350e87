"""Offline repository rules whose roots come from environment variables.

Same idea as shared/toolchain/third_party/system_repo.bzl (symlink the headers in, link with -l),
but the roots are configurable, so one WORKSPACE serves both machines:

  LIBTORCH_HOME  LibTorch root with include/ and lib/ (pip torch:
                 .../site-packages/torch, or an unpacked libtorch zip).
                 Unset or empty: Debian's libtorch-dev (/usr/include, /usr/lib/x86_64-linux-gnu).
  SOHO_SYSROOT   Prefix under which usr/include and usr/lib/x86_64-linux-gnu hold glog, gflags
                 and absl (the device kit's `dpkg -x` of Debian 12 .debs: /tmp/kit/sysroot).
                 Unset or empty: the host's /usr.

Both rules declare `environ`, so Bazel re-runs them when a variable changes, and are `local`,
so they are re-run after a server restart (they only make symlinks: cheap).
"""

_MULTIARCH_LIB = "usr/lib/x86_64-linux-gnu"

def _env(ctx, name):
    return ctx.os.environ.get(name, "").strip().rstrip("/")

def _libdir_linkopts(libdir):
    # -L finds the .so at link time; -rpath-link lets the linker resolve their own
    # dependencies (glog -> gflags, libunwind); -rpath lets binaries and tests run without
    # LD_LIBRARY_PATH. --disable-new-dtags makes it a DT_RPATH, which, unlike DT_RUNPATH,
    # also serves indirect dependencies (libglog.so -> libunwind.so.8, absl -> absl).
    return [
        "-L" + libdir,
        "-Wl,-rpath-link," + libdir,
        "-Wl,-rpath," + libdir,
        "-Wl,--disable-new-dtags",
    ]

# ------------------------------------------------------------------------------ sysroot_repo

def _sysroot_repo_impl(ctx):
    root = _env(ctx, "SOHO_SYSROOT")  # "" = host
    for dst, rel in ctx.attr.links.items():
        src = root + "/" + rel
        if not ctx.path(src).exists:
            fail("%s: missing %s (SOHO_SYSROOT=%r; on Debian install the -dev package, on the GPU machine run shared/device-kit/unpack_kit.sh and source /tmp/kit/env.sh)" % (ctx.name, src, root))
        ctx.symlink(src, dst)
    libdir = (root or "") + "/" + _MULTIARCH_LIB
    ctx.template("BUILD.bazel", ctx.attr.build_file, {
        "%{LIBDIR_LINKOPTS}": repr(_libdir_linkopts(libdir) if root else []),
        "%{ROOT}": root or "/",
    }, executable = False)

sysroot_repo = repository_rule(
    implementation = _sysroot_repo_impl,
    doc = "Headers from $SOHO_SYSROOT/<links> (default /), libraries from $SOHO_SYSROOT/usr/lib/x86_64-linux-gnu. " +
          "build_file is a template: %{LIBDIR_LINKOPTS} becomes a list of -L/-rpath flags ([] without SOHO_SYSROOT).",
    environ = ["SOHO_SYSROOT"],
    local = True,
    attrs = {
        "links": attr.string_dict(mandatory = True, doc = "repo path -> path relative to the sysroot"),
        "build_file": attr.label(mandatory = True, allow_single_file = True),
    },
)

# ------------------------------------------------------------------------------ libtorch_repo

_DEBIAN_TORCH_INCLUDES = ["torch", "ATen", "c10", "caffe2"]

def _libtorch_repo_impl(ctx):
    home = _env(ctx, "LIBTORCH_HOME")
    if home:
        inc = home + "/include"
        if not ctx.path(inc + "/torch/csrc/api/include/torch/torch.h").exists:
            fail("libtorch: LIBTORCH_HOME=%s has no include/torch/csrc/api/include/torch/torch.h" % home)
        ctx.symlink(inc, "include")  # the whole folder: pip torch ships c10, ATen, fmt, ... there
        libdir = None
        for cand in [home + "/lib", home + "/lib64", home + "/" + _MULTIARCH_LIB]:
            if ctx.path(cand + "/libtorch_cpu.so").exists:
                libdir = cand
                break
        if not libdir:
            fail("libtorch: no libtorch_cpu.so under %s/lib" % home)
        cmake_config = home + "/share/cmake/Torch/TorchConfig.cmake"
    else:
        # Debian libtorch-dev: only the torch folders of /usr/include (not all of it).
        for d in _DEBIAN_TORCH_INCLUDES:
            src = "/usr/include/" + d
            if not ctx.path(src).exists:
                fail("libtorch: LIBTORCH_HOME unset and %s missing (apt-get install libtorch-dev, or export LIBTORCH_HOME)" % src)
            ctx.symlink(src, "include/" + d)
        libdir = "/" + _MULTIARCH_LIB
        cmake_config = libdir + "/cmake/Torch/TorchConfig.cmake"

    has_cuda = ctx.path(libdir + "/libtorch_cuda.so").exists

    # SOHO_CUDA=1 (set by `--config=cuda`) demands a CUDA LibTorch and NCCL instead of
    # silently building a CPU-only binary.
    want_cuda = _env(ctx, "SOHO_CUDA") == "1"
    nccl_dir = None
    if want_cuda:
        if not has_cuda:
            fail("libtorch: --config=cuda but %s has no libtorch_cuda.so; export LIBTORCH_HOME=<a CUDA LibTorch, e.g. .../site-packages/torch>" % libdir)
        for cand in [_env(ctx, "NCCL_HOME") + "/lib", "/" + _MULTIARCH_LIB, "/usr/local/cuda/lib64", libdir]:
            if ctx.path(cand + "/libnccl.so").exists or ctx.path(cand + "/libnccl.so.2").exists:
                nccl_dir = cand
                break
        if not nccl_dir:
            fail("libtorch: --config=cuda but no libnccl.so found (set NCCL_HOME or install NCCL)")

    # C++ ABI from TorchConfig.cmake (TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=N"); default 1.
    abi = "1"
    if ctx.path(cmake_config).exists:
        text = ctx.read(cmake_config)
        i = text.find("_GLIBCXX_USE_CXX11_ABI=")
        if i >= 0:
            abi = text[i + len("_GLIBCXX_USE_CXX11_ABI=")]

    # Debian's c10 is built with glog (its headers include <glog/logging.h>); pip builds are not.
    macros = ctx.path("include/c10/macros/cmake_macros.h")
    uses_glog = macros.exists and ("#define C10_USE_GLOG" in ctx.read(macros))

    linkopts = [] if not home else ["-L" + libdir, "-Wl,-rpath," + libdir]
    torch_libs = ["-ltorch", "-ltorch_cpu"]
    if has_cuda:
        torch_libs += ["-ltorch_cuda", "-lc10_cuda"]
    torch_libs.append("-lc10")
    if nccl_dir:
        linkopts += ["-L" + nccl_dir, "-Wl,-rpath," + nccl_dir]
        torch_libs.append("-l:libnccl.so.2" if not ctx.path(nccl_dir + "/libnccl.so").exists else "-lnccl")

    # Ubuntu's gcc links with --as-needed by default: nothing references libtorch_cuda.so
    # directly, so it would be dropped and torch::cuda::is_available() would say false
    # (TorchConfig.cmake does the same).
    linkopts += ["-Wl,--push-state,--no-as-needed"] + torch_libs + ["-Wl,--pop-state"]

    deps = []
    if uses_glog:
        deps = ["@com_github_google_glog//:glog", "@com_github_gflags_gflags//:gflags"]

    ctx.file("torch_build_info.h", """// Generated by libtorch_repo (third_party/env_repo.bzl).
#pragma once
#define SOHO_LIBTORCH_HOME "{home}"
#define SOHO_LIBTORCH_LIBDIR "{libdir}"
#define SOHO_LIBTORCH_HAS_CUDA_LIBS {cuda}
#define SOHO_WITH_NCCL {nccl}
""".format(home = home or "debian:/usr", libdir = libdir, cuda = 1 if has_cuda else 0, nccl = 1 if nccl_dir else 0))

    # c10d's reducer.hpp includes the RPC framework's dist-autograd context.h, which Debian's
    # libtorch-dev does not ship. The Reducer only names two types from it (a callback type
    # and a shared_ptr to the context), both defined out of line in libtorch_cpu, so their
    # declarations are enough to use the Reducer; a LibTorch that has the header uses its own.
    context_h = "torch/csrc/distributed/autograd/context/context.h"
    has_context_h = ctx.path("include/" + context_h).exists
    if not has_context_h:
        ctx.file("reducer_shim/" + context_h, """// Generated by libtorch_repo (third_party/env_repo.bzl): the declarations
// torch/csrc/distributed/c10d/reducer.hpp needs, for a LibTorch without the RPC headers.
#pragma once
#include <functional>
#include <memory>

#include <ATen/core/Tensor.h>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
""")

    ctx.file("BUILD.bazel", """# Generated by libtorch_repo (third_party/env_repo.bzl).
# LIBTORCH_HOME={home}
# libdir={libdir} cuda_libs={cuda} cxx11_abi={abi} c10_uses_glog={glog}
package(default_visibility = ["//visibility:public"])

cc_library(
    name = "libtorch",
    hdrs = glob(
        ["include/**/*.h", "include/**/*.hpp", "include/**/*.cuh", "include/**/*.inc"],
        allow_empty = True,
    ),
    includes = ["include", "include/torch/csrc/api/include"],
    defines = ["_GLIBCXX_USE_CXX11_ABI={abi}"],
    linkopts = {linkopts},
    deps = {deps},
)

# What torch/csrc/distributed/c10d/reducer.hpp needs besides LibTorch's own headers.
cc_library(
    name = "c10d_reducer",
    hdrs = {reducer_hdrs},
    includes = {reducer_includes},
    deps = [":libtorch"],
)

# Facts about this LibTorch, for code and tests that want to print or check them.
cc_library(
    name = "torch_build_info",
    hdrs = ["torch_build_info.h"],
    include_prefix = "libtorch",
)
""".format(
        home = home or "<unset: Debian /usr>",
        libdir = libdir,
        cuda = has_cuda,
        abi = abi,
        glog = uses_glog,
        linkopts = repr(linkopts),
        deps = repr(deps),
        reducer_hdrs = repr([] if has_context_h else ["reducer_shim/" + context_h]),
        reducer_includes = repr([] if has_context_h else ["reducer_shim"]),
    ))

libtorch_repo = repository_rule(
    implementation = _libtorch_repo_impl,
    doc = "LibTorch from $LIBTORCH_HOME (include/, lib/), or Debian's libtorch-dev when unset. " +
          "Links -ltorch -ltorch_cpu [-ltorch_cuda -lc10_cuda] -lc10.",
    environ = ["LIBTORCH_HOME", "SOHO_CUDA", "NCCL_HOME"],
    local = True,
)
