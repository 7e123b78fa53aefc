// The Gridline Android app (Jetpack Compose): sign-in (citizen by code or anonymously, staff by
// password), background sync (WorkManager), citizen reporting (new report, my reports with
// their timeline, rating) and the inspector's day (work list, case detail, handle/verify with
// photos), with the offline banner. Screens live in src/main/kotlin/org/gridline/app/ui and only
// render state; the logic is plain Kotlin in org.gridline.app.presentation, which
// scripts/test-mobile compiles and tests on a desktop JVM without the Android SDK.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

val repoRoot: File = rootDir.parentFile

android {
    namespace = "org.gridline.app"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.gridline.app"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // The server the app talks to; override per build type or flavour.
        buildConfigField("String", "SERVER_URL", "\"https://gridline.example.gov.cn\"")
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    sourceSets["main"].java.srcDirs("src/main/kotlin")
    // The presentation tests reuse the SDK tests' fixtures (camera JPEGs, the test server).
    sourceSets["test"].java.srcDirs("src/test/kotlin", "../sdk/src/test/kotlin")

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
        // java.time (Duration in the SDK's records, Instant in the work list, the sync schedule)
        // exists on the device only from API 26; minSdk is 24.
        isCoreLibraryDesugaringEnabled = true
    }

    testOptions {
        unitTests.all {
            it.useJUnitPlatform()
            it.systemProperty("jna.library.path", repoRoot.resolve("target/debug").path)
            System.getProperties().filterKeys { key -> key.toString().startsWith("gridline.") }
                .forEach { (key, value) -> it.systemProperty(key.toString(), value) }
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(project(":sdk"))
    implementation(platform("androidx.compose:compose-bom:2025.01.00"))
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.material:material-icons-core")
    implementation("androidx.compose.ui:ui")
    implementation("androidx.activity:activity-compose:1.10.0")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.8.7")
    implementation("androidx.lifecycle:lifecycle-runtime-compose:2.8.7")
    implementation("androidx.navigation:navigation-compose:2.8.5")
    // Background sync: SyncWorker (a CoroutineWorker) enqueued as unique work by SyncScheduler.
    implementation("androidx.work:work-runtime-ktx:2.10.0")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    implementation("com.squareup.okhttp3:okhttp:3.14.9")
    coreLibraryDesugaring("com.android.tools:desugar_jdk_libs:2.1.4")

    testImplementation("net.java.dev.jna:jna:5.17.0")
    testImplementation(kotlin("test-junit5"))
    testImplementation("org.junit.jupiter:junit-jupiter:5.11.4")
    testRuntimeOnly("org.junit.platform:junit-platform-launcher:1.11.4")
}
