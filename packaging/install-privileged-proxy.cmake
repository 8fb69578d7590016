# Run by "cmake --install" (CMakeLists.txt's install(CODE)) after it has
# installed the privileged copy of vsock-proxy, VS_PRIV_PROXY (its final
# path, without DESTDIR), mode 0750 root:root.  On a real install as root
# (no DESTDIR) it creates the system group vsock-ssh if missing, gives the
# copy that group, mode 0750 and the file capability
# cap_net_bind_service=ep (docs/packaging.md, "Who on the host may log
# in").  When it cannot (not root, a staged install, no setcap, a file
# system without extended attributes) it says in one line what the
# administrator has to do, and never fails the install.  The Debian and RPM
# packages do the same in their maintainer scripts and %files.
# VS_PRIV_PROXY_BUILT is where the plain vsock-proxy was built to look for
# it (VP_PRIVILEGED_PROXY): "cmake --install --prefix" can install it
# elsewhere, which is worth a line too.
set(vs_f "${VS_PRIV_PROXY}")
if(NOT vs_f STREQUAL VS_PRIV_PROXY_BUILT)
  message(NOTICE "vsock-ssh: vsock-proxy looks for its privileged copy at ${VS_PRIV_PROXY_BUILT}, "
                 "not ${vs_f}: configure with -DCMAKE_INSTALL_PREFIX rather than install with --prefix")
endif()
set(vs_why "")
execute_process(COMMAND id -u OUTPUT_VARIABLE vs_uid OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE vs_rc ERROR_QUIET)
find_program(vs_setcap setcap PATHS /usr/sbin /sbin)
find_program(vs_groupadd groupadd PATHS /usr/sbin /sbin)
if(NOT "$ENV{DESTDIR}" STREQUAL "")
  set(vs_why "a staged install (DESTDIR is set; packages do this when installed)")
elseif(NOT vs_rc EQUAL 0 OR NOT vs_uid STREQUAL "0")
  set(vs_why "not installing as root")
elseif(NOT vs_setcap)
  set(vs_why "no setcap (Debian: libcap2-bin; Fedora: libcap)")
else()
  execute_process(COMMAND getent group vsock-ssh RESULT_VARIABLE vs_rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT vs_rc EQUAL 0)
    if(vs_groupadd)
      execute_process(COMMAND "${vs_groupadd}" --system vsock-ssh RESULT_VARIABLE vs_rc)
    endif()
    if(NOT vs_rc EQUAL 0)
      set(vs_why "could not create the group vsock-ssh")
    endif()
  endif()
  if(NOT vs_why)
    # The group and mode first: changing a file's owner or group clears its
    # capabilities.
    execute_process(COMMAND chown root:vsock-ssh "${vs_f}" RESULT_VARIABLE vs_rc)
    if(vs_rc EQUAL 0)
      execute_process(COMMAND chmod 0750 "${vs_f}" RESULT_VARIABLE vs_rc)
    endif()
    if(NOT vs_rc EQUAL 0)
      set(vs_why "could not make it root:vsock-ssh, mode 0750")
    endif()
  endif()
  if(NOT vs_why)
    execute_process(COMMAND "${vs_setcap}" cap_net_bind_service=ep "${vs_f}" RESULT_VARIABLE vs_rc)
    if(NOT vs_rc EQUAL 0)
      set(vs_why "setcap failed (a file system without extended attributes?)")
    endif()
  endif()
endif()
if(vs_why)
  message(NOTICE "vsock-ssh: ${vs_why}: ${vs_f} is not set up; as root run "
                 "'groupadd --system vsock-ssh' (if missing), 'chown root:vsock-ssh ${vs_f}', "
                 "'chmod 0750 ${vs_f}', 'setcap cap_net_bind_service=ep ${vs_f}' "
                 "(docs/packaging.md)")
else()
  message(STATUS "vsock-ssh: ${vs_f}: root:vsock-ssh 0750, cap_net_bind_service=ep; "
                 "members of group vsock-ssh reach vsock guests from a reserved port")
endif()
