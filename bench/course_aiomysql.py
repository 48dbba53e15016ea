"""The course's `/me` as a careful Tornado developer writes it: aiomysql with a pool, so the
loop waits on MySQL instead of blocking on it. The same query and JSON as
`plugins-py/course/app.py`, for `bench/db_mysql.py`.

Usage: MYSQL_HOST=… MYSQL_PORT=… MYSQL_USER=… MYSQL_DATABASE=… python3 bench/course_aiomysql.py
"""

import asyncio
import os

import aiomysql
import tornado.netutil
import tornado.httpserver
import tornado.web


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
        self.write({"account": me["account"], "balance": str(me["balance"]),
                    "created": me["created"].isoformat(),
                    "avatar": None if me["avatar"] is None else me["avatar"].hex(),
                    "types": {name: type(value).__name__ for name, value in me.items()}})


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
