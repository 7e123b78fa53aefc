// What the client tests share: camera-like JPEGs made with ImageIO, fresh data folders, a
// scripted HttpTransport that answers like a server would (to reach refusals and outages on
// purpose), a recording sync listener, and the real server that scripts/test-mobile started
// (its address, demo accounts, a point in the first grid, its log of one-time codes), with a
// plain java.net.http client to check what the server holds independently of the SDK.
package org.gridline.sdk

import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JdkRequest
import java.net.http.HttpResponse as JdkResponse
import java.nio.file.Files
import java.util.Collections
import javax.imageio.ImageIO
import org.gridline.sdk.ffi.HttpHeader
import org.gridline.sdk.ffi.HttpRequest
import org.gridline.sdk.ffi.HttpResponse
import org.gridline.sdk.ffi.SyncState
import org.gridline.sdk.ffi.SyncStateListener

/** A small distinct JPEG, as a camera would hand it over. */
fun cameraJpeg(seed: Int = 1, width: Int = 64, height: Int = 48): ByteArray {
    val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
    for (x in 0 until width) for (y in 0 until height) image.setRGB(x, y, (seed * 40 shl 16) or (x * 3 shl 8) or (y * 5))
    val out = ByteArrayOutputStream()
    check(ImageIO.write(image, "jpg", out)) { "no JPEG writer" }
    return out.toByteArray()
}

/** A fresh, empty data folder under the system temp folder. */
fun dataFolder(): File = Files.createTempDirectory("gridline-sdk-test").toFile().also { it.deleteOnExit() }

/** A report complete enough to submit, at [position]. */
fun completeFields(position: Position, description: String = "Overflowing rubbish bin") =
    DraftFields(category = "E0101", description = description, position = position)

/** Somewhere in Beijing, for tests that never reach a server. */
val somewhere = Position(lat = 39.9087, lon = 116.3975, crs = Crs.WGS84, accuracyM = 8.0)

/** Answers each request with [answer] and records what was asked. */
class ScriptedTransport(private val answer: (HttpRequest) -> HttpResponse) : HttpTransport {
    val requests: MutableList<HttpRequest> = Collections.synchronizedList(mutableListOf())

    override fun send(request: HttpRequest): HttpResponse {
        requests += request
        return answer(request)
    }
}

/**
 * The whole answer the server gives a new anonymous device (`SessionAnswer` in core), for
 * scripted transports: the core reads every field, so a partial answer is a protocol error.
 */
val anonymousSession = """{"access_token":"a","token_type":"Bearer","expires_in":900,"refresh_token":"r",""" +
    """"device_secret":"s","user":{"id":"u1","role":"citizen","scope":{"kind":"own"},""" +
    """"display_name":"Citizen","anonymous":true,"disabled":false,""" +
    """"created_at":"2026-12-03T08:00:00Z","updated_at":"2026-12-03T08:00:00Z"}}"""

/** A JSON response. */
fun json(status: Int, body: String) =
    HttpResponse(status.toUShort(), listOf(HttpHeader("Content-Type", "application/json")), body.toByteArray())

/** Records every sync state it hears. */
class RecordingListener : SyncStateListener {
    val states: MutableList<SyncState> = Collections.synchronizedList(mutableListOf())

    override fun onStateChanged(state: SyncState) {
        states += state
    }
}

/** The server scripts/test-mobile started for this run. */
object TestServer {
    private fun property(name: String): String =
        System.getProperty("gridline.$name") ?: error("-Dgridline.$name is not set: run scripts/test-mobile")

    val url: String get() = property("server")
    val log: File get() = File(property("serverLog"))
    val gridPackage: File get() = File(property("gridPackage"))

    /** A point inside the demo city's first grid, where the demo inspector works. */
    val point: Position
        get() {
            val (lat, lon) = property("samplePoint").split(",").map { it.toDouble() }
            return Position(lat = lat, lon = lon, crs = Crs.WGS84, accuracyM = 8.0)
        }

    /** (login, password) of a demo staff account. */
    fun staff(role: String): Pair<String, String> = property(role).split(":", limit = 2).let { it[0] to it[1] }

    /** The last one-time code the development sender logged (the number is in the same line). */
    fun lastCode(): String {
        val ansi = Regex("\u001B\\[[0-9;]*m")
        val line = log.readLines().map { it.replace(ansi, "") }.last { "one-time code" in it }
        return Regex("""code="?(\d{6})""").find(line)?.groupValues?.get(1) ?: error("no code in: $line")
    }

    // HTTP/1.1 only: the JDK's default is HTTP/2, which over plain http:// asks every new
    // connection to upgrade (h2c); the server speaks HTTP/1.1, and a call on a connection caught
    // in that exchange could read no answer at all ("header parser received no bytes").
    private val http: HttpClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()

    /** A plain HTTP call to the server, bypassing the SDK: (status, body). */
    fun call(
        method: String,
        path: String,
        token: String? = null,
        body: String? = null,
        headers: Map<String, String> = emptyMap(),
    ): Pair<Int, ByteArray> {
        val builder = JdkRequest.newBuilder(URI.create(url + path))
        token?.let { builder.header("Authorization", "Bearer $it") }
        headers.forEach { (name, value) -> builder.header(name, value) }
        if (body != null) {
            builder.header("Content-Type", "application/json").method(method, JdkRequest.BodyPublishers.ofString(body))
        } else {
            builder.method(method, JdkRequest.BodyPublishers.noBody())
        }
        val response = http.send(builder.build(), JdkResponse.BodyHandlers.ofByteArray())
        return response.statusCode() to response.body()
    }

    /** A workflow step over plain HTTP, at the case's current version. */
    fun step(token: String, caseId: String, body: String) {
        val (_, case) = call("GET", "/api/v1/cases/$caseId", token)
        val version = jsonNumber(String(case), "version")
        val (status, answer) = call("POST", "/api/v1/cases/$caseId/actions", token, body, mapOf("If-Match" to "\"$version\""))
        check(status == 200) { "step $body answered $status: ${String(answer)}" }
    }

    /** A staff access token, signed in over plain HTTP. */
    fun staffToken(role: String): String {
        val (login, password) = staff(role)
        val (status, body) = call("POST", "/api/v1/auth/login", body = """{"login":"$login","password":"$password"}""")
        check(status == 200) { "staff login answered $status" }
        return jsonString(String(body), "access_token")
    }
}

/** The first string value of [key] in a JSON text (enough for the flat answers checked here). */
fun jsonString(json: String, key: String): String =
    Regex(""""$key"\s*:\s*"([^"]*)"""").find(json)?.groupValues?.get(1) ?: error("no \"$key\" in $json")

/** The first whole-number value of [key] in a JSON text. */
fun jsonNumber(json: String, key: String): Long =
    Regex(""""$key"\s*:\s*(-?\d+)""").find(json)?.groupValues?.get(1)?.toLong() ?: error("no number \"$key\" in $json")

/** Every string in the JSON array [key] of a JSON text. */
fun jsonStrings(json: String, key: String): List<String> {
    val array = Regex(""""$key"\s*:\s*\[([^\]]*)]""").find(json)?.groupValues?.get(1) ?: error("no [$key] in $json")
    return Regex(""""([^"]*)"""").findAll(array).map { it.groupValues[1] }.toList()
}
