// OkHttpTransport's failures as the core sees them, over real loopback sockets: a server that
// accepts and then says nothing is a timeout, one that breaks off in the middle of its answer is
// an interrupted exchange. Each crosses into the core as its own TransportException variant
// and comes back to the app as GridlineException.Network, with the core's wording of the kind.
package org.gridline.sdk

import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlin.test.assertContains
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlinx.coroutines.runBlocking
import okhttp3.OkHttpClient
import org.gridline.sdk.ffi.GridlineException
import org.gridline.sdk.ffi.HttpRequest
import org.gridline.sdk.ffi.TransportException
import org.junit.jupiter.api.Test

class TransportTest {
    /** A loopback HTTP listener that hands every connection to [answer], until closed. */
    private class RawServer(private val answer: (Socket) -> Unit) : AutoCloseable {
        private val socket = ServerSocket(0, 8, InetAddress.getLoopbackAddress())
        val url = "http://127.0.0.1:${socket.localPort}"

        init {
            thread(isDaemon = true, name = "raw-http") {
                while (!socket.isClosed) {
                    val connection = runCatching { socket.accept() }.getOrNull() ?: break
                    thread(isDaemon = true) { connection.use { runCatching { answer(it) } } }
                }
            }
        }

        override fun close() = socket.close()
    }

    /** Reads a request's head, so that the client has sent it before the answer (or silence). */
    private fun readHead(connection: Socket) {
        val input = connection.getInputStream()
        var tail = 0
        while (tail != 0x0D0A0D0A) {
            val b = input.read()
            if (b < 0) return
            tail = (tail shl 8) or b
        }
    }

    private val quick = OkHttpClient.Builder().readTimeout(300, TimeUnit.MILLISECONDS).build()

    @Test
    fun `a server that never answers is a timeout`() = runBlocking<Unit> {
        RawServer { connection ->
            readHead(connection)
            // Hold the connection open and silent until the client gives up and closes it.
            while (connection.getInputStream().read() >= 0) Unit
        }.use { server ->
            val transport = OkHttpTransport(quick)
            assertFailsWith<TransportException.Timeout> {
                transport.send(HttpRequest("GET", "${server.url}/api/v1/health", emptyList(), ByteArray(0)))
            }
            GridlineClient.open(server.url, dataFolder(), transport).use { client ->
                val failure = assertFailsWith<GridlineException.Network> { client.signInAnonymously() }
                assertContains(failure.reason, "no response within the time limit")
                assertContains(failure.reason, "SocketTimeoutException")
                assertFalse(client.isSignedIn())
            }
        }
    }

    @Test
    fun `an answer cut off after its status line is an interrupted exchange`() = runBlocking<Unit> {
        RawServer { connection ->
            readHead(connection)
            val head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
            connection.getOutputStream().apply {
                write((head + """{"access_token":"""").toByteArray())
                flush()
            }
        }.use { server ->
            val transport = OkHttpTransport(quick)
            val direct = assertFailsWith<TransportException.Interrupted> {
                transport.send(HttpRequest("GET", "${server.url}/api/v1/health", emptyList(), ByteArray(0)))
            }
            assertFalse(direct.detail.isBlank())
            GridlineClient.open(server.url, dataFolder(), transport).use { client ->
                val failure = assertFailsWith<GridlineException.Network> { client.signInAnonymously() }
                assertContains(failure.reason, "the connection broke before the response was complete")
                assertFalse(client.isSignedIn())
            }
        }
    }
}
