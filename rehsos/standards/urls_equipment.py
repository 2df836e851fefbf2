"""Pages of the standards app: equipment (the standard list, inventories, shortfalls,
stock-takes)."""

from django.urls import path

from rehsos.standards import views_equipment as views

urlpatterns = [
    path("equipment/", views.standard_list, name="equipment_standard"),
    path("equipment/items/new/", views.standard_new, name="equipment_item_new"),
    path("equipment/items/<slug:code>/edit/", views.standard_edit, name="equipment_item_edit"),
    path("equipment/inventory/", views.inventory_home, name="equipment_inventory_home"),
    path(
        "equipment/centres/<slug:code>/inventory/",
        views.inventory_page,
        name="equipment_inventory",
    ),
    path(
        "equipment/centres/<slug:code>/inventory/new/",
        views.inventory_new,
        name="equipment_inventory_new",
    ),
    path(
        "equipment/centres/<slug:code>/inventory.xlsx",
        views.inventory_export,
        name="equipment_inventory_export",
    ),
    path(
        "equipment/inventory/<int:pk>/edit/", views.inventory_edit, name="equipment_inventory_edit"
    ),
    path(
        "equipment/shortfall/", views.national_shortfall_page, name="equipment_national_shortfall"
    ),
    path(
        "equipment/centres/<slug:code>/shortfall/",
        views.shortfall_page,
        name="equipment_shortfall",
    ),
    path(
        "equipment/centres/<slug:code>/stock-takes/",
        views.stock_take_list,
        name="equipment_stock_takes",
    ),
    path(
        "equipment/centres/<slug:code>/stock-takes/start/",
        views.stock_take_start,
        name="equipment_stock_take_start",
    ),
    path("equipment/stock-takes/<int:pk>/", views.stock_take_page, name="equipment_stock_take"),
    path(
        "equipment/stock-takes/<int:pk>/count/",
        views.stock_take_count,
        name="equipment_stock_take_count",
    ),
    path(
        "equipment/stock-takes/<int:pk>/finish/",
        views.stock_take_finish,
        name="equipment_stock_take_finish",
    ),
    path(
        "equipment/stock-takes/<int:pk>/cancel/",
        views.stock_take_cancel,
        name="equipment_stock_take_cancel",
    ),
]
