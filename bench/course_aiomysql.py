"""The course's `/me` as a careful Tornado developer writes it: aiomysql with a pool, so the
loop waits on MySQL instead of blocking on it. The same query and JSON as
`plugins-py/course/app.py`, for `bench/db_mysql.py`.

Usage: MYSQL_HOST=… MYSQL_PORT=… MYSQL_USER=… MYSQL_DATABASE=… python3 bench/course_aiomysql.py
"""

import asyncio
import importlib.util
import os
import pathlib

import aiomysql
import tornado.netutil
import tornado.httpserver
import tornado.web

# The course's own module, for its answer's shape (importing it imports PyMySQL, not a server).
_spec = importlib.util.spec_from_file_location(
    "course", pathlib.Path(__file__).resolve().parent.parent / "plugins-py/course/app.py")
course = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course)


class MeHandler(tornado.web.RequestHandler):
    async def get(self):
        async with self.application.pool.acquire() as conn:
            async with conn.cursor(aiomysql.DictCursor) as cur:
                await cur.execute("SELECT u.account, u.balance, u.created, u.avatar "
                                  "FROM sessions s JOIN users u ON u.id = s.user_id "
                                  "WHERE s.id = %s", (self.get_cookie("session", ""),))
                me = await cur.fetchone()
        if me is None:
            self.set_status(401)
            self.write({"error": "log in first"})
            return
        self.write(course.account_of(me))


async def main():
    app = tornado.web.Application([(r"/me", MeHandler)])
    app.pool = await aiomysql.create_pool(
        host=os.environ.get("MYSQL_HOST", "127.0.0.1"),
        port=int(os.environ.get("MYSQL_PORT", "3306")),
        user=os.environ.get("MYSQL_USER", "root"), password=os.environ.get("MYSQL_PASSWORD", ""),
        db=os.environ.get("MYSQL_DATABASE", "course"), autocommit=True, maxsize=10)
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    print(f"tornado: listening on http://127.0.0.1:{sockets[0].getsockname()[1]}", flush=True)
    tornado.httpserver.HTTPServer(app).add_sockets(sockets)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
