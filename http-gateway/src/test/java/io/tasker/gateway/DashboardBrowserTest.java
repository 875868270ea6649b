package io.tasker.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.node.TaskType;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.node.WorkflowExecution;
import io.tasker.node.WorkflowStatus;
import io.tasker.sample.SampleDemo;
import io.tasker.sample.SampleHandlers;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}; {@code .ci/run} installs them) against a real node: what an operator does,
 * click by click. With {@code -Dtasker.screenshots=DIR} it also saves the main pages as PNGs
 * (the README's pictures).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardBrowserTest {
  private static final String READER = "ui-reader-key";
  private static final String ADMIN = "ui-admin-key";
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final TaskType<JsonNode> REPAIRABLE = TaskType.of("repairable", JsonNode.class);

  private final AtomicBoolean broken = new AtomicBoolean(true);
  private Path dataDir;
  private TaskerNode node;
  private HttpGateway gateway;
  private WebDriver browser;

  @BeforeAll
  void start() throws IOException {
    dataDir = Files.createTempDirectory("tasker-ui-");
    Config config = ConfigFactory.parseString(String.join("\n",
            "tasker.http.port = 0",
            "tasker.http.host = \"127.0.0.1\"",
            "tasker.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"",
            "tasker.http.auth.env-keys = \"" + READER + "=tasks:read;" + ADMIN
                + "=tasks:read,tasks:write,queues:admin,metrics:read\"",
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"))
        .withFallback(ConfigFactory.load())
        .resolve();
    node = Tasker.builder().plugin(new SampleHandlers()).config(config)
        .handler(REPAIRABLE, (payload, context) -> {
          if (broken.get()) {
            throw new IllegalStateException("the mail server is down");
          }
          return payload;
        })
        .start();
    gateway = HttpGateway.start(node);
    await().atMost(PATIENCE).until(() -> node.ready().toCompletableFuture().join());
  }

  @BeforeEach
  void openBrowser() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(binary("chromium", "/usr/bin/chromium"));
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
        "--disable-gpu", "--window-size=1280,900");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(Path.of(binary("chromedriver", "/usr/bin/chromedriver")).toFile())
        .usingAnyFreePort()
        .build();
    browser = new ChromeDriver(service, options);
  }

  /** Debian's paths; the test fails with what to install rather than downloading a browser. */
  private static String binary(String name, String path) {
    if (!Files.isExecutable(Path.of(path))) {
      throw new IllegalStateException(path + " is missing: apt-get install -y chromium"
          + " chromium-driver (.ci/run does this)");
    }
    return path;
  }

  @AfterEach
  void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @AfterAll
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void anOperatorFindsADeadTaskRetriesItAndSeesItSucceed() {
    broken.set(true);
    TaskId id = enqueue(new EnqueueRequest(REPAIRABLE.name(), json("to", "a@example.com"),
        null, null, null, null, 1, null, null, null, null, null));
    await().atMost(PATIENCE).until(() -> status(id) == TaskStatus.DEAD);

    logIn(ADMIN);
    // from the overview's depth table to the dead tasks of the queue, then to the task
    click(By.cssSelector("#queues tr[data-queue='default'] a[href$='status=DEAD']"));
    click(By.cssSelector("#task-table tr[data-task='" + id.value() + "'] a"));
    waitForText(By.id("task-status"), "DEAD");
    waitForText(By.id("task-error"), "the mail server is down");
    // and straight to it by id from the tasks page
    browser.get(url("/ui/#/tasks"));
    waitFor(By.cssSelector("#task-filter input[name='id']")).sendKeys(id.value());
    click(By.cssSelector("#task-filter button[type='submit']"));
    waitForText(By.id("task-status"), "DEAD");
    screenshot("task");

    broken.set(false);
    click(By.id("retry"));
    waitForText(By.id("task-status"), "SUCCEEDED"); // the page follows the task live
    waitForText(By.id("history"), "SUCCEEDED");
    assertEquals(TaskStatus.SUCCEEDED, status(id));

    // the retry is on record: who, what, when
    browser.get(url("/ui/#/audit"));
    waitForText(By.id("audit"), "POST /v1/tasks/" + id.value() + "/retry");
  }

  @Test
  void bulkRetryByFilterShowsTheCountAsksAndRetriesEveryMatch() {
    broken.set(true);
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(enqueue(new EnqueueRequest(REPAIRABLE.name(), json("n", "bulk-" + i), "bulk",
          null, null, null, 1, null, null, null, null, null)));
    }
    await().atMost(PATIENCE).until(() -> ids.stream().allMatch(id -> status(id) == TaskStatus.DEAD));
    broken.set(false);

    logIn(ADMIN);
    browser.get(url("/ui/#/tasks?queue=bulk&status=DEAD"));
    click(By.id("bulk-retry"));
    waitForText(By.id("bulk-count"), "Retry 3 matching tasks?");
    click(By.id("bulk-confirm-yes"));
    waitForText(By.id("flash-message"), "Retry: 3 of 3 done, 0 refused");
    await().atMost(PATIENCE)
        .until(() -> ids.stream().allMatch(id -> status(id) == TaskStatus.SUCCEEDED));
  }

  @Test
  void aWorkflowExecutionShowsItsStepGraphAndCompensationTrail() {
    List<WorkflowExecution> ran = SampleDemo.runOrders(node, new PrintStream(OutputStream.nullOutputStream()));
    WorkflowExecution compensated = ran.get(1);
    assertEquals(WorkflowStatus.COMPENSATED, compensated.status());

    logIn(ADMIN);
    click(By.cssSelector("nav a[href='#/workflows']"));
    click(By.cssSelector("#workflow-table tr[data-execution='" + compensated.id() + "'] a"));
    waitForText(By.id("workflow-status"), "COMPENSATED");
    // the graph: every step of the definition, coloured by how it ended
    waitFor(By.id("workflow-graph"));
    assertEquals("step SUCCEEDED", stepClass("validate-order"));
    assertEquals("step SUCCEEDED", stepClass("charge-card"));
    assertEquals("step FAILED", stepClass("fulfil-order"));
    waitForText(By.id("workflow-compensations"), "charge-card");
    waitForText(By.id("workflow-compensations"), "SUCCEEDED");
    screenshot("workflow");
    // the failed step's task is one click away
    click(By.cssSelector("#workflow-steps tr[data-step='fulfil-order'] a"));
    waitForText(By.id("task-status"), "DEAD");

    if (System.getProperty("tasker.screenshots") != null) {
      // the overview once its charts hold a few samples
      click(By.cssSelector("nav a[href='#/']"));
      new WebDriverWait(browser, PATIENCE).until(d -> d.findElements(
          By.cssSelector(".queue-card polyline")).stream().anyMatch(line ->
              line.getAttribute("points").split(" ").length >= 4));
      screenshot("overview");
    }
  }

  private String stepClass(String step) {
    return waitFor(By.cssSelector("#workflow-graph g[data-step='" + step + "']"))
        .getAttribute("class");
  }

  @Test
  void aPausedQueueHoldsItsTasksUntilResumed() {
    logIn(ADMIN);
    browser.get(url("/ui/#/queue/parcels"));
    click(By.id("pause"));
    waitForText(By.id("queue-state"), "paused");
    assertTrue(node.queueStats("parcels").toCompletableFuture().join().limits().paused());

    TaskId id = enqueue(new EnqueueRequest("echo", json("parcel", "p-1"), "parcels",
        null, null, null, null, null, null, null, null, null));
    waitForText(By.cssSelector("[data-count='SCHEDULED']"), "1");
    screenshot("queue");
    // due now, yet it waits while the queue is paused
    await().during(Duration.ofSeconds(1)).atMost(PATIENCE)
        .until(() -> status(id) == TaskStatus.SCHEDULED);

    click(By.id("resume"));
    waitForText(By.id("queue-state"), "running");
    waitForText(By.cssSelector("[data-count='SUCCEEDED']"), "1");
    assertEquals(TaskStatus.SUCCEEDED, status(id));
  }

  @Test
  void aTestRunRunsATaskTypeWithAPayloadAndShowsItsResult() {
    logIn(ADMIN);
    browser.get(url("/ui/#/test"));
    new Select(waitFor(By.id("test-type"))).selectByValue("echo");
    WebElement payload = browser.findElement(By.id("test-payload"));
    payload.clear();
    payload.sendKeys("{\"greeting\": \"hello from the dashboard\"}");
    screenshot("test-run");
    click(By.id("test-run"));
    waitForText(By.id("test-status"), "SUCCEEDED");
    waitForText(By.id("test-result"), "hello from the dashboard");

    // choosing the type again offers the newest task's payload of that type as the example
    new Select(browser.findElement(By.id("test-type"))).selectByValue("sleep");
    new Select(browser.findElement(By.id("test-type"))).selectByValue("echo");
    new WebDriverWait(browser, PATIENCE).until(d ->
        d.findElement(By.id("test-payload")).getAttribute("value").contains("hello from the dashboard"));

    // bad JSON is refused in the page, before any call
    payload = browser.findElement(By.id("test-payload"));
    payload.clear();
    payload.sendKeys("{not json");
    click(By.id("test-run"));
    waitForText(By.id("flash-message"), "not JSON");
  }

  @Test
  void aReadOnlyKeySeesNoWriteControlsAndItsWritesAreRefused() {
    broken.set(true);
    TaskId id = enqueue(new EnqueueRequest(REPAIRABLE.name(), json("to", "b@example.com"),
        null, null, null, null, 1, null, null, null, null, null));
    await().atMost(PATIENCE).until(() -> status(id) == TaskStatus.DEAD);

    logIn(READER);
    browser.get(url("/ui/#/task/" + id.value()));
    waitForText(By.id("task-status"), "DEAD");
    assertTrue(browser.findElements(By.id("retry")).isEmpty(), "no retry button");
    assertTrue(browser.findElements(By.id("task-actions")).isEmpty(), "no task actions");
    browser.get(url("/ui/#/queue/default"));
    waitFor(By.id("queue-state"));
    assertTrue(browser.findElements(By.id("pause")).isEmpty(), "no pause button");
    assertTrue(browser.findElements(By.id("limits")).isEmpty(), "no limits form");
    browser.get(url("/ui/#/test"));
    waitForText(By.tagName("main"), "needs a key with tasks:write");
    assertTrue(browser.findElements(By.cssSelector("nav a[href='#/audit']")).isEmpty());

    // and the API refuses the key's write calls when made from the page anyway
    Object answer = ((JavascriptExecutor) browser).executeAsyncScript(
        "const done = arguments[arguments.length - 1];"
            + "fetch('/v1/tasks/" + id.value() + "/retry', {method: 'POST',"
            + " headers: {Authorization: 'Bearer " + READER + "'}})"
            + ".then(r => r.json().then(b => done(r.status + ' ' + b.error.code)))"
            + ".catch(e => done('error ' + e));");
    assertEquals("403 FORBIDDEN", answer);
    assertEquals(TaskStatus.DEAD, status(id));
  }

  @Test
  void aWrongKeyIsRefusedAtLogIn() {
    browser.get(url("/ui/"));
    waitFor(By.id("api-key")).sendKeys("not-a-key");
    click(By.id("login"));
    waitForText(By.id("flash-message"), "unknown API key");
    assertTrue(browser.getCurrentUrl().endsWith("#/login"), browser.getCurrentUrl());
  }

  // ---- helpers --------------------------------------------------------------------------

  private void logIn(String key) {
    browser.get(url("/ui/"));
    waitFor(By.id("api-key")).sendKeys(key);
    click(By.id("login"));
    waitFor(By.id("who-name"));
  }

  private String url(String path) {
    return "http://127.0.0.1:" + gateway.port() + path;
  }

  private WebElement waitFor(By by) {
    return new WebDriverWait(browser, PATIENCE)
        .until(ExpectedConditions.visibilityOfElementLocated(by));
  }

  private void click(By by) {
    new WebDriverWait(browser, PATIENCE).until(ExpectedConditions.elementToBeClickable(by))
        .click();
  }

  private void waitForText(By by, String text) {
    new WebDriverWait(browser, PATIENCE)
        .withMessage(() -> "waiting for '" + text + "' in " + by + "; page: "
            + browser.findElement(By.tagName("body")).getText())
        .until(ExpectedConditions.textToBePresentInElementLocated(by, text));
  }

  private void screenshot(String name) {
    String dir = System.getProperty("tasker.screenshots");
    if (dir == null || dir.isBlank()) {
      return;
    }
    try {
      Path target = Path.of(dir).resolve("dashboard-" + name + ".png");
      Files.createDirectories(target.getParent());
      Files.write(target, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private TaskId enqueue(EnqueueRequest request) {
    return node.enqueue(request).toCompletableFuture().join().task().id();
  }

  private TaskStatus status(TaskId id) {
    return node.get(id).toCompletableFuture().join().status();
  }

  private static JsonNode json(String field, String value) {
    return JsonNodeFactory.instance.objectNode().put(field, value);
  }
}
