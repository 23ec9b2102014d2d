#!/usr/bin/python3
"""RTSP server for tests: serves an H.264 MP4 file at rtsp://127.0.0.1:PORT/cam.

Usage: /usr/bin/python3 rtsp-server.py FILE.mp4 [PORT [USER PASSWORD]]   (PORT 0 or absent: any free port;
with USER and PASSWORD the server asks for HTTP Basic authentication and serves nobody else)
Prints "READY <port>" on stdout once it listens. Each client gets its own media that starts at the file's
first frame (not shared), so a test knows what a fresh connection receives; at the file's end the client gets EOS.
Runs until killed.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def quoted(value: str) -> str:
    """A gst-launch string literal, so paths with spaces or quotes stay one property value."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def require_password(server: GstRtspServer.RTSPServer, factory: GstRtspServer.RTSPMediaFactory, user: str, password: str) -> None:
    """Basic authentication: only `user` with `password` may open the media."""
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "camera-user")
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("camera-user", "media.factory.access", True)
    permissions.add_permission_for_role("camera-user", "media.factory.construct", True)
    factory.set_permissions(permissions)


def main() -> None:
    path, port = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "0"
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f"( filesrc location={quoted(path)} ! qtdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )"
    )
    factory.set_shared(False)
    if len(sys.argv) > 4:
        require_password(server, factory, sys.argv[3], sys.argv[4])
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        sys.exit(f"rtsp-server: cannot listen on 127.0.0.1:{port}")
    print(f"READY {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
